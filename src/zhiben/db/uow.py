"""The unit of work: the one place that commits. Effects registered with after_commit run only after it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from zhiben.kit.clock import Clock

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        request_id: str | None = None,
        write: bool = True,
    ) -> None:
        self._factory = session_factory
        self.clock = clock
        self.request_id = request_id or uuid.uuid4().hex
        self.write = write
        self._effects: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.session.info.update(clock=self.clock, request_id=self.request_id, effects=self._effects)
        if self.write:
            self.session.connection(execution_options={"sqlite_immediate": True})
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None and self.write:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
        if exc_type is None:
            for effect in self._effects:
                try:
                    effect()
                except Exception:  # an effect must not undo a committed change
                    log.exception("after-commit effect failed")


def session_clock(session: Session) -> Clock:
    clock: Clock | None = session.info.get("clock")
    if clock is None:
        raise RuntimeError("session was not opened by a UnitOfWork")
    return clock


def session_request_id(session: Session) -> str:
    return str(session.info.get("request_id", ""))


def after_commit(session: Session, effect: Callable[[], None]) -> None:
    session.info.setdefault("effects", []).append(effect)
