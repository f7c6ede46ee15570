"""Reading HTML forms into the API's pydantic models, so a page checks input exactly as the API does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from zhiben.kit.clock import SHANGHAI
from zhiben.web.messages import validation_message

M = TypeVar("M", bound=BaseModel)


class EmptyForm(BaseModel):
    """A form whose only field is its token: an action that takes no input."""


def local_instant(value: str) -> str:
    """A `datetime-local` field (no zone) is Beijing time; an explicit offset is kept."""
    text = value.strip()
    if not text:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the model's validation names the field
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).isoformat()


def parse_form(
    model: type[M], form: Mapping[str, Any], language: str, instants: tuple[str, ...] = ()
) -> tuple[M | None, dict[str, str]]:
    """The model, or the errors by field in the user's language; empty optional fields count as absent."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        raw = form.get(name)
        if raw is None:
            continue
        text = str(raw)
        if name in instants:
            text = local_instant(text)
        if text == "" and not field.is_required():
            continue
        data[name] = text
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or ""
            errors.setdefault(where, validation_message(dict(error), language))
        return None, errors


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """What the user typed, to fill the form again after a refusal (files and the form token left out)."""
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
