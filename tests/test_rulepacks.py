"""Every shipped rule pack passes `zhiben rules check`, and every threshold is pinned by examples."""

from __future__ import annotations

import pytest

from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.standards.expr import Compare, Const, Logic, Node, Unary
from zhiben.standards.pack import RulePack, check_effective_dates, check_pack, load_all, pack_files

PACKS = load_all()


def _compares_with_a_number(node: Node) -> bool:
    match node:
        case Compare(left=left, right=right):
            return any(
                isinstance(n, Const) and not isinstance(n.value, bool | str) for n in _leaves(left, right)
            )
        case Logic(items=items):
            return any(_compares_with_a_number(item) for item in items)
        case Unary(operand=operand):
            return _compares_with_a_number(operand)
    return False


def _leaves(*nodes: Node) -> list[Node]:
    from zhiben.standards.expr import Binary

    found: list[Node] = []
    for node in nodes:
        found += _leaves(node.left, node.right) if isinstance(node, Binary) else [node]
    return found


def test_the_packs_folder_is_not_empty() -> None:
    assert pack_files(), "no rule packs shipped"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_each_pack_passes_the_check(pack: RulePack) -> None:
    assert check_pack(pack, SECTOR_BY_CODE) == []


def test_no_two_released_versions_of_a_pack_are_in_force_on_the_same_day() -> None:
    assert check_effective_dates(PACKS) == []


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_every_quantitative_clause_is_pinned_at_just_below_and_just_above_its_threshold(
    pack: RulePack,
) -> None:
    thin = [
        clause.spec.id
        for clause in pack.clauses
        if _compares_with_a_number(clause.condition) and len(clause.spec.examples) < 3
    ]
    assert thin == [], "each threshold needs examples at, just below and just above it"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_a_draft_pack_says_what_is_missing(pack: RulePack) -> None:
    if pack.spec.status == "draft":
        assert pack.spec.missing_clauses or pack.spec.notes
