"""The command line, run in-process against the database under test."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.builders import Db
from zhiben.auth.domain import Role
from zhiben.cli.main import app


def test_hazards_list_json_is_scoped_to_the_acting_user(db: Db, cli: CliRunner) -> None:
    db.hazard(db.enterprise("320506"))
    db.hazard(db.enterprise("440305"))
    db.user(Role.regulator, division="320000", username="jiangsu")
    result = cli.invoke(
        app, ["--as", "jiangsu", "hazards", "list", "--division", "32", "--status", "open", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["total"] == 1
    assert set(body["items"][0]) >= {
        "id",
        "number",
        "level",
        "state",
        "is_overdue",
        "deadline_at",
        "county_code",
    }
    assert body["items"][0]["number"].startswith("320506-2026-")


def test_clearance_json_names_the_division_and_its_children(db: Db, cli: CliRunner) -> None:
    db.hazard(db.enterprise("320506"))
    result = cli.invoke(app, ["clearance", "--division", "3205", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["division_code"], body["division_name"], body["open_major"]) == ("320500", "苏州市", 1)
    assert body["children"][0]["division_code"] == "320506"


def test_an_unknown_acting_user_exits_3(db: Db, cli: CliRunner) -> None:
    result = cli.invoke(app, ["--as", "nobody", "hazards", "list"])
    assert result.exit_code == 3


def test_adding_a_duplicate_user_exits_4_with_the_reason(db: Db, cli: CliRunner) -> None:
    args = [
        "users",
        "add",
        "li",
        "--role",
        "regulator",
        "--division",
        "320500",
        "--password",
        "long-enough-1",
    ]
    assert cli.invoke(app, args).exit_code == 0
    result = cli.invoke(app, args)
    assert result.exit_code == 4
    assert "already exists" in result.output


def test_a_bad_page_size_exits_2(db: Db, cli: CliRunner) -> None:
    assert cli.invoke(app, ["hazards", "list", "--size", "0"]).exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["hazards", "list", "--division", "abc"],
        ["hazards", "list", "--status", "opne"],
        ["hazards", "list", "--level", "huge"],
        ["clearance", "--division", "3"],
    ],
)
def test_bad_options_exit_2_without_a_traceback(db: Db, cli: CliRunner, args: list[str]) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_clearance_for_a_division_that_does_not_exist_exits_3(db: Db, cli: CliRunner) -> None:
    assert cli.invoke(app, ["clearance", "--division", "99"]).exit_code == 3
