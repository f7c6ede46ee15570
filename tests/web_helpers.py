"""Driving the web pages with TestClient: log in through the form, read the form token, post forms."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import PASSWORD

Response = Any  # TestClient answers with httpx2 responses
CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]*)">')


def login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/hazards") -> str:
    page = client.get(path)
    found = CSRF.search(page.text)
    assert found and found.group(1), f"no form token on {path}: {page.status_code}"
    return found.group(1)


def post_form(
    client: TestClient, path: str, data: dict[str, Any], token_from: str = "/hazards", **kwargs: Any
) -> Response:
    return client.post(
        path, data={"csrf": csrf_of(client, token_from), **data}, follow_redirects=False, **kwargs
    )
