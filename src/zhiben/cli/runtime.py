"""What every command needs: settings, the engine (checked to be migrated), a unit of work, the acting principal."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, select

from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import User
from zhiben.auth.service import principal_of
from zhiben.config import Settings, get_settings
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.db.schema import current_revision, head_revision
from zhiben.db.uow import UnitOfWork
from zhiben.errors import ZhibenError
from zhiben.kit.clock import SHANGHAI, Clock, SystemClock

console = Console(stderr=True)

EXIT_INPUT, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_DENIED, EXIT_OTHER = 2, 3, 4, 5, 1


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock
    acting_as: str | None = None

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(make_session_factory(self.engine), self.clock, write=write)

    def principal(self) -> Principal:
        """The CLI acts as the operator (an administrator) unless --as names a user, whose scope then applies."""
        if self.acting_as is None:
            return Principal(user_id=0, username="cli", role=Role.admin)
        with self.uow(write=False) as uow:
            user = uow.session.scalars(select(User).where(User.username == self.acting_as)).first()
            if user is None:
                raise fail(f"no such user: {self.acting_as}", EXIT_NOT_FOUND)
            return principal_of(user, as_of=self.clock.now().astimezone(SHANGHAI).date())

    def require_migrated(self) -> None:
        if current_revision(self.engine) != head_revision(self.engine):
            fail("the database is not at the current schema; run `zhiben db upgrade` first", EXIT_OTHER)


def make_runtime(acting_as: str | None = None) -> Runtime:
    settings = get_settings()
    return Runtime(settings, make_engine(settings.resolved_database_url()), SystemClock(), acting_as)


def runtime_of(ctx: typer.Context) -> Runtime:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = make_runtime()
    assert isinstance(root.obj, Runtime)
    return root.obj


def fail(message: str, code: int = EXIT_OTHER) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def exit_code_for(error: ZhibenError) -> int:
    return {422: EXIT_INPUT, 404: EXIT_NOT_FOUND, 409: EXIT_CONFLICT, 403: EXIT_DENIED}.get(
        error.status, EXIT_OTHER
    )


def progress_bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
