"""The API guide is generated from the OpenAPI document; it must match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_guide_matches_the_openapi_document(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_api_doc", ROOT / "tools" / "gen_api_doc.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    fresh = tmp_path / "api.md"
    generator.write(fresh)
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, (
        "docs/api.md is out of date with the API; run `make docs` and commit docs/api.md"
    )
