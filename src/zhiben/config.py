"""Settings: the only module that reads the environment (prefix ZHIBEN_)."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "zhiben"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIBEN_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    secret_key: str = ""
    token_ttl_minutes: int = 12 * 60
    login_attempts_per_minute: int = 10
    evidence_max_bytes: int = 20 * 1024 * 1024
    escalate_overdue_major: bool = True
    overdue_job_minutes: int = 10  # the in-process overdue job in `zhiben serve`; 0 turns it off
    monitoring_job_seconds: int = 60  # offline sweep, shelving expiry, alarm escalation; 0 turns it off
    risk_job_minutes: int = 10  # recompute every enterprise's risk level in `zhiben serve`; 0 turns it off
    alarm_webhook_url: str = ""  # escalations are POSTed here as JSON; empty: written to the log
    default_language: str = "zh-CN"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'zhiben.db'}"

    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    def resolved_secret_key(self) -> str:
        """The token signing key; generated once per data directory when not configured. Created with
        O_EXCL and mode 0600, so workers starting together agree on one key and nobody else can read it."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another worker made it first: read theirs
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        for _ in range(50):  # another process may be writing it this instant
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty; delete it or set ZHIBEN_SECRET_KEY")


@lru_cache
def get_settings() -> Settings:
    return Settings()
