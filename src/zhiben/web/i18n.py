"""The web UI's words in Chinese (default) and English: YAML catalogues in messages/, `key: [zh-CN, en]`,
one file per area; a key defined twice is an error."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh-CN", "en")
CATALOGUES = Path(__file__).with_name("messages")


@lru_cache
def catalogue() -> dict[str, tuple[str, str]]:
    entries: dict[str, tuple[str, str]] = {}
    for path in sorted(CATALOGUES.glob("*.yaml")):
        for key, pair in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
                raise ValueError(f"{path.name}: {key} must be [zh-CN, en]")
            if key in entries:
                raise ValueError(f"{path.name}: {key} is defined twice")
            entries[str(key)] = (pair[0], pair[1])
    return entries


class Translate:
    """t(key, **values): the key's words in the language; an unknown key shows itself, so it is noticed."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._index = 1 if language == "en" else 0

    def __call__(self, key: str, **values: Any) -> str:
        return self.get(key, key, **values)

    def get(self, key: str, default: str, **values: Any) -> str:
        """The words for a key that may be missing (e.g. built from data), else `default`."""
        pair = catalogue().get(key)
        if pair is None:
            return default
        text = pair[self._index]
        return text.format(**values) if values else text


def translator(language: str) -> Translate:
    return Translate(language)
