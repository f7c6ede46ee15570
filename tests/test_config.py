from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from zhiben.config import Settings


def test_a_generated_secret_key_is_private_and_shared_by_every_worker(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="")
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: settings.resolved_secret_key(), range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 60
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


def test_a_configured_secret_key_wins(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, secret_key="given").resolved_secret_key() == "given"
    assert not (tmp_path / "secret.key").exists()
