"""Settings: the only module that reads the environment (prefix ZHIBEN_)."""

from __future__ import annotations

import os
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
    default_language: str = "zh-CN"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'zhiben.db'}"

    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    def resolved_secret_key(self) -> str:
        """The token signing key; generated once per data directory when not configured."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
