"""How the API says no: one JSON shape, the caller's language, the right status, the field named,
and never a silently lost edit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.builders import PASSWORD, Db, auth_header, new_uscc
from zhiben.auth.domain import Role
from zhiben.auth.models import User

EN = {"Accept-Language": "en-GB,en;q=0.9"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error body, after checking its status, its shape and that it carries the request id."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details", "request_id"}
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return dict(error)


def field_names(error: dict[str, Any]) -> list[str]:
    return [f["field"] for f in error["details"]["fields"]]


@pytest.fixture
def admin(db: Db) -> tuple[TestClient, dict[str, str]]:
    client = db.client()
    return client, auth_header(client, db.user(Role.admin).username)


def valid_enterprise(**changes: Any) -> dict[str, Any]:
    return {
        "uscc": new_uscc("320311"),
        "name": "徐州某化工有限公司",
        "county_code": "320311",
        "sector": "hazchem_production",
    } | changes


def wrong_check_character(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


# --- shape and language ---------------------------------------------------------------------------


def test_an_error_is_json_in_chinese_by_default_and_in_english_on_request(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    zh = error_of(client.get("/api/v1/enterprises/4242", headers=headers), 404, "not_found")
    en = error_of(client.get("/api/v1/enterprises/4242", headers=headers | EN), 404, "not_found")
    assert zh["message"] == "未找到enterprise：4242"
    assert en["message"] == "enterprise not found: 4242"
    assert zh["details"] == en["details"] == {"kind": "enterprise", "key": 4242}


def test_the_request_id_the_caller_sends_comes_back_in_the_error(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    response = client.get("/api/v1/hazards/4242", headers=headers | {"X-Request-ID": "trace-0001"})
    assert error_of(response, 404, "not_found")["request_id"] == "trace-0001"


def test_a_user_who_chose_english_gets_errors_in_english_without_asking_each_time(db: Db) -> None:
    user = db.user(Role.regulator, division="320000")
    with db.engine.begin() as connection:
        connection.execute(update(User).where(User.id == user.user_id).values(language="en"))
    client = db.client()
    headers = auth_header(client, user.username)
    error = error_of(client.get("/api/v1/hazards/4242", headers=headers), 404, "not_found")
    assert error["message"] == "hazard not found: 4242"
    invalid = error_of(client.get("/api/v1/hazards?size=0", headers=headers), 422, "invalid_input")
    assert invalid["message"].startswith("invalid input: size")


def test_validation_errors_name_each_field_in_the_callers_language(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    body = {"enterprise_id": 1, "source": "rumour", "found_at": "2026-03-01T08:00:00"}
    zh = error_of(client.post("/api/v1/hazards", json=body, headers=headers), 422, "invalid_input")
    en = error_of(client.post("/api/v1/hazards", json=body, headers=headers | EN), 422, "invalid_input")
    assert set(field_names(zh)) == {"description", "source", "found_at"}
    assert zh["message"].startswith("输入有误：") and en["message"].startswith("invalid input: ")
    reasons = {f["field"]: f["reason"] for f in en["details"]["fields"]}
    assert reasons == {"description": "missing", "source": "enum", "found_at": "timezone_aware"}


def test_an_unknown_address_or_method_is_a_json_error_too(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    assert (
        error_of(client.get("/api/v1/nowhere", headers=headers), 404, "not_found")["message"]
        == "未找到该地址"
    )
    assert (
        error_of(client.get("/api/v1/nowhere", headers=EN), 404, "not_found")["message"] == "no such address"
    )
    error_of(client.delete("/api/v1/hazards", headers=headers), 405, "method_not_allowed")


# --- bad input: 422 naming the field, never a 500 ---------------------------------------------------


@pytest.mark.parametrize(
    ("uscc", "reason"),
    [
        ("91320311MA1XXXXX", "length"),
        ("91320311MA1XXXXXXI", "character"),
        ("9132O311MA00000015", "character"),
        (wrong_check_character(new_uscc()), "check_digit"),
    ],
)
def test_a_bad_unified_social_credit_code_is_refused_naming_the_field_and_why(
    db: Db, admin: tuple[TestClient, dict[str, str]], uscc: str, reason: str
) -> None:
    client, headers = admin
    response = client.post("/api/v1/enterprises", json=valid_enterprise(uscc=uscc), headers=headers | EN)
    error = error_of(response, 422, "invalid_uscc")
    assert error["details"]["fields"] == [
        {"field": "uscc", "reason": reason, "message": error["details"]["fields"][0]["message"]}
    ]
    assert error["message"].startswith("invalid unified social credit code: uscc:")
    zh = error_of(
        client.post("/api/v1/enterprises", json=valid_enterprise(uscc=uscc), headers=headers),
        422,
        "invalid_uscc",
    )
    assert zh["message"].startswith("统一社会信用代码无效")


def test_a_valid_code_registers(db: Db, admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    assert client.post("/api/v1/enterprises", json=valid_enterprise(), headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "field"),
    [
        ("GET", "/api/v1/enterprises?name=a%00b", {}, "name"),
        ("GET", "/api/v1/divisions/32%0000/path", {}, "code"),
        ("POST", "/api/v1/auth/token", {"json": {"username": "ad\x00min", "password": "x"}}, "username"),
        (
            "POST",
            "/api/v1/hazards",
            {
                "json": {
                    "enterprise_id": 1,
                    "description": "罐区\x00",
                    "source": "enforcement",
                    "found_at": "2026-03-01T08:00:00+08:00",
                }
            },
            "description",
        ),
        ("GET", "/api/v1/enterprises/2147483648", {}, "enterprise_id"),
        ("GET", "/api/v1/hazards/99999999999999999999/history", {}, "hazard_id"),
        ("GET", "/api/v1/hazards?enterprise_id=9223372036854775808", {}, "enterprise_id"),
        ("GET", "/api/v1/hazards?reported_from=0001-01-01T00:00:00%2B08:00", {}, "reported_from"),
        (
            "POST",
            "/api/v1/hazards",
            {
                "json": {
                    "enterprise_id": 1,
                    "description": "罐区",
                    "source": "enforcement",
                    "found_at": "0001-01-01T00:00:00+08:00",
                }
            },
            "found_at",
        ),
    ],
)
def test_input_no_database_could_hold_is_refused_naming_the_field(
    db: Db,
    admin: tuple[TestClient, dict[str, str]],
    method: str,
    url: str,
    kwargs: dict[str, Any],
    field: str,
) -> None:
    """NUL characters (PostgreSQL text cannot hold them), ids past INTEGER and times with no UTC
    equivalent all used to reach the database and answer 500."""
    client, headers = admin
    db.enterprise()
    error = error_of(client.request(method, url, headers=headers, **kwargs), 422, "invalid_input")
    assert field in field_names(error)


@pytest.mark.parametrize("name", ["name", "address", "main_responsible_person", "safety_manager", "licences"])
def test_a_required_enterprise_field_cannot_be_nulled_by_an_edit(
    db: Db, admin: tuple[TestClient, dict[str, str]], name: str
) -> None:
    client, headers = admin
    enterprise_id = db.enterprise()
    response = client.patch(
        f"/api/v1/enterprises/{enterprise_id}", json={name: None}, headers=headers | {"If-Match": '"1"'}
    )
    assert field_names(error_of(response, 422, "invalid_input")) == [name]
    assert client.get(f"/api/v1/enterprises/{enterprise_id}", headers=headers).json()["version"] == 1


def test_an_edit_does_not_reclassify_an_enterprise_away_from_its_hazards(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    """Each hazard carries its enterprise's sector, which decides which department sees it."""
    client, headers = admin
    enterprise_id = db.enterprise(sector="hazchem_production")
    response = client.patch(
        f"/api/v1/enterprises/{enterprise_id}",
        json={"sector": "fireworks"},
        headers=headers | {"If-Match": '"1"'},
    )
    assert field_names(error_of(response, 422, "invalid_input")) == ["sector"]


def test_clearance_for_a_code_that_names_no_division_is_not_found(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    error = error_of(client.get("/api/v1/clearance?division=01", headers=headers), 404, "not_found")
    assert error["details"] == {"kind": "division", "key": "010000"}
    assert client.get("/api/v1/clearance?division=32", headers=headers).status_code == 200


# --- who you are ----------------------------------------------------------------------------------


def test_without_a_token_every_endpoint_but_login_and_health_answers_401(db: Db) -> None:
    client = db.client()
    for url in ("/api/v1/enterprises", "/api/v1/hazards", "/api/v1/clearance", "/api/v1/auth/me"):
        error_of(client.get(url), 401, "not_authenticated")
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjo5OTk5OTk5OTk5fQ.c2lnbmVkIGVsc2V3aGVyZQ",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "Bearer ",
    ],
)
def test_a_token_that_is_not_ours_answers_401(db: Db, authorization: str) -> None:
    client = db.client()
    error = error_of(
        client.get("/api/v1/hazards", headers={"Authorization": authorization} | EN), 401, "not_authenticated"
    )
    assert error["message"] == "not logged in, or the login has expired"


def test_a_token_stops_working_when_it_expires_or_its_user_is_deactivated(db: Db) -> None:
    user = db.user(Role.regulator, division="320000")
    client = db.client()
    headers = auth_header(client, user.username)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    db.clock.advance(timedelta(minutes=db.settings().token_ttl_minutes))
    error_of(client.get("/api/v1/auth/me", headers=headers), 401, "not_authenticated")

    fresh = auth_header(client, user.username)
    with db.engine.begin() as connection:
        connection.execute(update(User).where(User.id == user.user_id).values(is_active=False))
    error_of(client.get("/api/v1/auth/me", headers=fresh), 401, "not_authenticated")


def test_a_wrong_password_answers_401_and_says_nothing_about_the_user(db: Db) -> None:
    user = db.user(Role.regulator, division="320000")
    client = db.client()
    wrong = client.post("/api/v1/auth/token", json={"username": user.username, "password": "wrong-password"})
    nobody = client.post("/api/v1/auth/token", json={"username": "nobody-here", "password": PASSWORD})
    assert (
        error_of(wrong, 401, "not_authenticated")["message"]
        == error_of(nobody, 401, "not_authenticated")["message"]
    )


def test_logins_are_limited_per_minute_and_the_limit_recovers_after_a_minute(db: Db) -> None:
    user = db.user(Role.regulator, division="320000")
    client = db.client()
    attempts = db.settings().login_attempts_per_minute
    assert attempts == 10

    def login(password: str) -> Any:
        return client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": password}, headers=EN
        )

    for _ in range(attempts):
        error_of(login("guess-guess"), 401, "not_authenticated")
    limited = error_of(login(PASSWORD), 429, "rate_limited")  # even the right password, now
    assert limited["message"] == "too many attempts, try again later"
    other = db.user(Role.regulator, division="320000")
    assert (
        client.post("/api/v1/auth/token", json={"username": other.username, "password": PASSWORD}).status_code
        == 200
    )

    db.clock.advance(timedelta(seconds=6))  # a tenth of the minute gives back one attempt...
    assert login(PASSWORD).status_code == 200
    error_of(login(PASSWORD), 429, "rate_limited")  # ...and only one
    db.clock.advance(timedelta(minutes=1))  # a whole minute gives back all of them
    assert all(login(PASSWORD).status_code == 200 for _ in range(attempts))
    error_of(login(PASSWORD), 429, "rate_limited")


# --- optimistic concurrency -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["enterprises", "hazards"])
def test_an_edit_without_if_match_is_refused_naming_the_header(
    db: Db, admin: tuple[TestClient, dict[str, str]], kind: str
) -> None:
    client, headers = admin
    enterprise_id = db.enterprise()
    object_id = enterprise_id if kind == "enterprises" else db.hazard(enterprise_id)
    body = {"address": "新址"} if kind == "enterprises" else {"location": "新址"}
    before = client.get(f"/api/v1/{kind}/{object_id}", headers=headers).json()
    response = client.patch(f"/api/v1/{kind}/{object_id}", json=body, headers=headers)
    assert field_names(error_of(response, 422, "invalid_input")) == ["If-Match"]
    malformed = client.patch(
        f"/api/v1/{kind}/{object_id}", json=body, headers=headers | {"If-Match": "latest"}
    )
    assert error_of(malformed, 422, "invalid_input")["details"]["fields"][0]["reason"] == "format"
    assert client.get(f"/api/v1/{kind}/{object_id}", headers=headers).json() == before


@pytest.mark.parametrize("kind", ["enterprises", "hazards"])
def test_an_edit_with_a_stale_version_is_a_409_that_says_which_versions(
    db: Db, admin: tuple[TestClient, dict[str, str]], kind: str
) -> None:
    client, headers = admin
    enterprise_id = db.enterprise()
    object_id = enterprise_id if kind == "enterprises" else db.hazard(enterprise_id)
    field = "address" if kind == "enterprises" else "location"
    url = f"/api/v1/{kind}/{object_id}"
    version = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, json={field: "一"}, headers=headers | {"If-Match": version}).status_code == 200
    stale = client.patch(url, json={field: "二"}, headers=headers | {"If-Match": version} | EN)
    error = error_of(stale, 409, "stale_version")
    current = int(client.get(url, headers=headers).headers["ETag"].strip('"'))
    assert error["details"] == {"current": current, "given": int(version.strip('"'))}
    assert "reload and retry" in error["message"]
    assert client.get(url, headers=headers).json()[field] == "一"


def test_two_people_editing_one_hazard_the_second_is_told_and_loses_nothing_silently(db: Db) -> None:
    enterprise_id = db.enterprise("320311")
    hazard_id = db.hazard(enterprise_id)
    officer = db.user(Role.regulator, division="320311")
    manager = db.user(Role.enterprise, enterprise_id=enterprise_id)
    client = db.client()
    alice, bob = auth_header(client, officer.username), auth_header(client, manager.username)
    url = f"/api/v1/hazards/{hazard_id}"

    seen_by_alice = client.get(url, headers=alice).headers["ETag"]
    seen_by_bob = client.get(url, headers=bob).headers["ETag"]
    assert seen_by_alice == seen_by_bob

    first = client.patch(url, json={"location": "一号罐区东侧"}, headers=alice | {"If-Match": seen_by_alice})
    assert first.status_code == 200
    second = client.patch(
        url, json={"description": "报警器失效且无备用"}, headers=bob | {"If-Match": seen_by_bob}
    )
    error_of(second, 409, "stale_version")

    now = client.get(url, headers=bob)
    assert now.json()["location"] == "一号罐区东侧"  # Alice's edit stands
    assert now.json()["description"] != "报警器失效且无备用"  # Bob's was not applied behind his back
    updates = [e for e in client.get(f"{url}/history", headers=bob).json() if e["action"] == "hazard.update"]
    assert len(updates) == 1

    retry = client.patch(
        url, json={"description": "报警器失效且无备用"}, headers=bob | {"If-Match": now.headers["ETag"]}
    )
    assert retry.status_code == 200
    assert retry.json()["location"] == "一号罐区东侧" and retry.json()["description"] == "报警器失效且无备用"


def test_a_lifecycle_step_on_a_stale_version_is_refused(
    db: Db, admin: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = admin
    hazard_id = db.hazard(db.enterprise(), level=None)
    url = f"/api/v1/hazards/{hazard_id}"
    version = client.get(url, headers=headers).headers["ETag"]
    assert (
        client.patch(url, json={"location": "二号"}, headers=headers | {"If-Match": version}).status_code
        == 200
    )
    stale = client.post(
        f"{url}/determine", json={"level": "general"}, headers=headers | {"If-Match": version}
    )
    error_of(stale, 409, "stale_version")
    assert client.get(url, headers=headers).json()["state"] == "reported"
