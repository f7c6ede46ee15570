"""The double-random draw (双随机): reproducible, verifiable, weighted as published, and honest about why."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiben.enforcement.draw import (
    Candidate,
    Colour,
    DrawInputs,
    DrawParams,
    DrawRecord,
    InspectionOutcome,
    Officer,
    Policy,
    SelectionKind,
    Trigger,
    TriggerKind,
    _Keyed,
    commitment,
    default_params,
    draw,
    inputs_sha256,
    keyed_number,
    load_policy,
    publication_rows,
    record_from_json,
    record_to_json,
    run_draw,
    seal,
    verify,
    verify_json,
    weighted_top,
)
from zhiben.errors import InvalidInputError
from zhiben.monitoring.risk_domain import RiskLevel

ROOT = Path(__file__).resolve().parents[1]
SEED = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
POLICY = load_policy()
COLOURS = list(Colour)

# Upper-tail critical values of the chi-square distribution at p = 0.001, from the NIST/SEMATECH
# e-Handbook of Statistical Methods, §1.3.6.7.4 "Critical Values of the Chi-Square Distribution".
CHI2_CRITICAL_P001 = {3: 16.266, 11: 31.264, 19: 43.820}


def _seed(i: int) -> bytes:
    return hashlib.sha256(b"test-seed-%d" % i).digest()


def _pool(size: int, rng: random.Random, triggered_share: float = 0.05) -> tuple[Candidate, ...]:
    kinds = list(TriggerKind)
    pool = []
    for i in range(size):
        triggers = (Trigger(rng.choice(kinds), f"REF-{i}"),) if rng.random() < triggered_share else ()
        colour = rng.choice(COLOURS)
        pool.append(Candidate(f"E{i:05d}", colour, rng.choice(["coal_mine", "hazchem"]), "320311", triggers))
    return tuple(pool)


def _officers(size: int, rng: random.Random) -> tuple[Officer, ...]:
    return tuple(
        Officer(f"O{i:04d}", rng.random() < 0.8, frozenset(rng.sample(["coal_mine", "hazchem"], 1)), "320100")
        for i in range(size)
    )


def _inputs(pool_size: int = 300, quota: int = 40, control: int = 4, officers: int = 10) -> DrawInputs:
    rng = random.Random(7)
    params = DrawParams("2026-320311-01", quota, 70, control, officers, {Colour.blue: 3})
    return DrawInputs(params, POLICY, _pool(pool_size, rng), _officers(50, rng))


def _record() -> DrawRecord:
    return run_draw(_inputs(), SEED)


# ---- reproducible -------------------------------------------------------------------------------


def test_the_same_inputs_and_seed_give_the_same_draw() -> None:
    assert record_to_json(run_draw(_inputs(), SEED)) == record_to_json(run_draw(_inputs(), SEED))


def test_the_order_of_the_pool_and_the_roster_does_not_matter() -> None:
    inputs = _inputs()
    shuffled_pool, shuffled_officers = list(inputs.pool), list(inputs.officers)
    random.Random(3).shuffle(shuffled_pool)
    random.Random(4).shuffle(shuffled_officers)
    shuffled = replace(inputs, pool=tuple(shuffled_pool), officers=tuple(shuffled_officers))
    assert record_to_json(run_draw(shuffled, SEED)) == record_to_json(run_draw(inputs, SEED))


def test_a_different_seed_gives_a_different_draw() -> None:
    a, b = draw(_inputs(), SEED), draw(_inputs(), _seed(1))
    assert [s.enterprise_id for s in a.targets] != [s.enterprise_id for s in b.targets]


def test_adding_an_enterprise_leaves_every_other_enterprises_number_alone() -> None:
    assert keyed_number(SEED, "p", "target", "E1") == keyed_number(SEED, "p", "target", "E1")
    assert keyed_number(SEED, "p", "target", "E1") != keyed_number(SEED, "p", "control", "E1")
    assert keyed_number(SEED, "p", "target", "E1") != keyed_number(SEED, "q", "target", "E1")


def test_keyed_number_is_hmac_sha256_of_the_documented_message() -> None:
    message = b"zhiben-draw/1\x00plan\x00target\x00E1"
    expected = int.from_bytes(hmac.new(SEED, message, "sha256").digest(), "big")
    assert keyed_number(SEED, "plan", "target", "E1") == expected


def test_commitment_is_sha256_of_prefix_plan_and_seed() -> None:
    expected = hashlib.sha256(b"zhiben-enforcement-draw/1/commitment\x00plan\x00" + SEED).hexdigest()
    assert commitment("plan", SEED) == expected


# ---- verification -------------------------------------------------------------------------------


def test_an_honest_record_verifies_from_its_json_and_against_its_seal() -> None:
    inputs = _inputs()
    published = seal(inputs, SEED)
    text = record_to_json(run_draw(inputs, SEED))
    result = verify_json(text, published)
    assert result.is_valid, result.problems
    assert record_to_json(record_from_json(text)) == text


def test_a_reordered_pool_in_the_published_json_still_verifies() -> None:
    doc = json.loads(record_to_json(_record()))
    doc["inputs"]["pool"].reverse()
    doc["inputs"]["officers"].reverse()
    assert verify_json(json.dumps(doc)).is_valid


def _add_member(i: DrawInputs) -> DrawInputs:
    return replace(i, pool=(*i.pool, Candidate("E99999", Colour.red, "hazchem", "320311")))


def _set_weight(i: DrawInputs) -> DrawInputs:
    colours = tuple((c, w + 1 if c is Colour.yellow else w) for c, w in i.policy.colours)
    return replace(i, policy=replace(i.policy, colours=colours))


CHANGES = {
    "pool member added": _add_member,
    "pool member removed": lambda i: replace(i, pool=i.pool[1:]),
    "a colour changed": lambda i: replace(i, pool=(replace(i.pool[0], colour=Colour.blue), *i.pool[1:])),
    "a trigger added": lambda i: replace(
        i, pool=(replace(i.pool[0], triggers=(Trigger(TriggerKind.accident, "A-1"),)), *i.pool[1:])
    ),
    "a weight changed": _set_weight,
    "the quota changed": lambda i: replace(i, params=replace(i.params, quota=i.params.quota + 1)),
    "the control size changed": lambda i: replace(i, params=replace(i.params, control_size=0)),
    "the random share changed": lambda i: replace(i, params=replace(i.params, random_share_pct=90)),
    "an officer removed": lambda i: replace(i, officers=i.officers[1:]),
}


@pytest.mark.parametrize("change", CHANGES)
def test_verification_fails_when_any_input_changes(change: str) -> None:
    record = _record()
    tampered = replace(record, inputs=CHANGES[change](record.inputs))
    result = verify(tampered)
    assert not result.is_valid
    assert any(p.startswith("inputs: their canonical SHA-256") for p in result.problems)


@pytest.mark.parametrize("change", CHANGES)
def test_a_rehashed_record_still_fails_against_the_seal_published_before_the_draw(change: str) -> None:
    record = _record()
    published = seal(record.inputs, SEED)
    inputs = CHANGES[change](record.inputs)
    forged = run_draw(inputs, SEED)  # consistent with itself, but not with what was announced
    assert verify(forged).is_valid
    result = verify(forged, published)
    assert not result.is_valid
    assert any(p.startswith("inputs hash: announced before the draw") for p in result.problems)


def test_verification_fails_when_the_seed_is_not_the_committed_one() -> None:
    record = _record()
    result = verify(replace(record, seed=_seed(9)))
    assert not result.is_valid
    assert any(p.startswith("seed: its commitment is") for p in result.problems)


def test_verification_names_the_rank_where_a_target_was_swapped() -> None:
    record = _record()
    targets = list(record.result.targets)
    outsider = next(
        c.enterprise_id
        for c in record.inputs.pool
        if c.enterprise_id not in {t.enterprise_id for t in targets}
    )
    targets[5] = replace(targets[5], enterprise_id=outsider)
    result = verify(replace(record, result=replace(record.result, targets=tuple(targets))))
    assert not result.is_valid
    assert any(p.startswith("target rank 6: the record has " + outsider) for p in result.problems)
    assert any(outsider in p and "not in the recomputed draw" in p for p in result.problems)


def test_verification_names_a_swapped_officer() -> None:
    record = _record()
    officers = list(record.result.officers)
    officers[0], officers[1] = replace(officers[1], rank=1), replace(officers[0], rank=2)
    result = verify(replace(record, result=replace(record.result, officers=tuple(officers))))
    assert any(p.startswith("officer rank 1:") for p in result.problems)


def test_an_unreadable_record_is_a_failed_verification_not_a_crash() -> None:
    result = verify_json('{"format": "something else"}')
    assert not result.is_valid and result.problems[0].startswith("record: unreadable")
    doc = json.loads(record_to_json(_record()))
    doc["inputs"]["params"]["quota"] = "40"
    result = verify_json(json.dumps(doc))
    assert not result.is_valid and "inputs.params.quota" in result.problems[0]


# ---- weights, control sample, exactness ---------------------------------------------------------


def _chi_square(observed: Counter[str], expected: dict[str, float]) -> float:
    return sum((observed[k] - e) ** 2 / e for k, e in expected.items())


def _single_pick_inputs(control: int) -> DrawInputs:
    pool = tuple(
        Candidate(f"{colour.value}-{i}", colour, "hazchem", "320311")
        for colour in (Colour.red, Colour.orange, Colour.yellow, Colour.blue)
        for i in range(5)
    )
    params = DrawParams("chi2", 1, 100, control, 0)
    return DrawInputs(params, POLICY, pool, ())


def test_over_many_draws_selection_frequencies_match_the_weights() -> None:
    """One pick per draw: P(enterprise) = its weight / total weight (8, 4, 2, 1 for five of each colour);
    4,000 draws, chi-square with 19 degrees of freedom against 43.820 (p = 0.001)."""
    inputs, draws = _single_pick_inputs(control=0), 4000
    weights = POLICY.weights
    total = sum(weights[c.colour] for c in inputs.pool)
    counts = Counter(draw(inputs, _seed(i)).targets[0].enterprise_id for i in range(draws))
    expected = {c.enterprise_id: draws * weights[c.colour] / total for c in inputs.pool}
    assert _chi_square(counts, expected) < CHI2_CRITICAL_P001[19]
    by_colour = Counter(k.split("-")[0] for k in counts.elements())
    expected_colour = {
        c.value: draws * 5 * weights[c] / total
        for c in (Colour.red, Colour.orange, Colour.yellow, Colour.blue)
    }
    assert _chi_square(by_colour, expected_colour) < CHI2_CRITICAL_P001[3]


def test_successive_picks_follow_weighted_sampling_without_replacement() -> None:
    """Two picks from weights 8, 4, 2, 1: P(i then j) = w_i / W × w_j / (W - w_i); 6,000 draws, 11 degrees
    of freedom against 31.264 (p = 0.001). This exercises the exact key comparison across weights."""
    items = {"a": 8, "b": 4, "c": 2, "d": 1}
    total, draws = sum(items.values()), 6000
    counts: Counter[str] = Counter()
    for i in range(draws):
        seed = _seed(i)
        picked = weighted_top(((k, w, keyed_number(seed, "p", "target", k)) for k, w in items.items()), 2)
        counts[picked[0][0] + picked[1][0]] += 1
    expected = {
        i + j: draws * wi / total * wj / (total - wi)
        for i, wi in items.items()
        for j, wj in items.items()
        if i != j
    }
    assert _chi_square(counts, expected) < CHI2_CRITICAL_P001[11]


def test_the_control_sample_is_uniform_whatever_the_weights() -> None:
    inputs, draws = _single_pick_inputs(control=1), 4000
    counts: Counter[str] = Counter()
    for i in range(draws):
        (target,) = draw(inputs, _seed(i)).targets
        assert target.kind is SelectionKind.control and target.weight == 1
        counts[target.enterprise_id] += 1
    expected = {c.enterprise_id: draws / len(inputs.pool) for c in inputs.pool}
    assert _chi_square(counts, expected) < CHI2_CRITICAL_P001[19]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**256 - 1), st.integers(1, 2**256 - 1), st.integers(1, 100), st.integers(1, 100))
def test_the_key_comparison_is_exact(n1: int, n2: int, w1: int, w2: int) -> None:
    """u^(1/w) compared in integers agrees with 400-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 400
        key1 = (Decimal(2 * n1 + 1) / Decimal(2**257)) ** (Decimal(1) / Decimal(w1))
        key2 = (Decimal(2 * n2 + 1) / Decimal(2**257)) ** (Decimal(1) / Decimal(w2))
    if key1 != key2:
        assert (_Keyed(2 * n1 + 1, w1, "x") < _Keyed(2 * n2 + 1, w2, "y")) == (key1 > key2)


def test_weight_zero_is_never_drawn_at_random_but_can_be_in_the_control_sample() -> None:
    colours = tuple((c, 0 if c is Colour.blue else w) for c, w in POLICY.colours)
    inputs = replace(_inputs(quota=250, control=20), policy=replace(POLICY, colours=colours))
    result = draw(inputs, SEED)
    assert not [t for t in result.targets if t.colour is Colour.blue and t.stratum == "weighted"]


# ---- why each was selected ----------------------------------------------------------------------


def _trigger_inputs() -> DrawInputs:
    pool = (
        Candidate("E1", Colour.blue, "hazchem", "320311", (Trigger(TriggerKind.emphasis, "NEP-2026-01"),)),
        Candidate("E2", Colour.blue, "hazchem", "320311", (Trigger(TriggerKind.accident, "ACC-7"),)),
        Candidate("E3", Colour.red, "hazchem", "320311", (Trigger(TriggerKind.emphasis, "NEP-2026-01"),)),
        Candidate(
            "E4",
            Colour.yellow,
            "hazchem",
            "320311",
            (Trigger(TriggerKind.risk_list, "L-1"), Trigger(TriggerKind.complaint, "C-3")),
        ),
        *(Candidate(f"R{i:03d}", COLOURS[i % 5], "hazchem", "320311") for i in range(100)),
    )
    return DrawInputs(DrawParams("triggers", 10, 70, 0, 0), POLICY, pool, ())


def test_triggered_targets_come_first_in_priority_order_up_to_the_targeted_share() -> None:
    result = draw(_trigger_inputs(), SEED)
    head = result.targets[:3]
    assert [t.kind for t in head] == [SelectionKind.trigger] * 3  # 10 × (100 % - 70 %) = 3 targeted
    assert [t.enterprise_id for t in head] == ["E2", "E4", "E3"]  # accident, complaint, then red before blue
    assert head[1].priority == 2 and head[1].triggers[0] == Trigger(TriggerKind.complaint, "C-3")
    assert head[0].weight is None
    assert result.overflow == ("E1",)
    assert all(t.kind is SelectionKind.random and t.weight for t in result.targets[3:])
    assert [t.rank for t in result.targets] == list(range(1, 11))


def test_every_random_pick_carries_its_key_and_weight() -> None:
    inputs = _inputs()
    weights = POLICY.weights
    for target in draw(inputs, SEED).targets:
        purpose = {"trigger": "trigger", "random": "target", "control": "control"}[target.kind.value]
        assert int(target.key, 16) == keyed_number(SEED, inputs.params.plan_id, purpose, target.enterprise_id)
        if target.kind is SelectionKind.random:
            assert target.weight == weights[target.colour]


def test_colour_minimums_are_met_when_the_pool_allows() -> None:
    inputs = _inputs()
    params = replace(inputs.params, colour_minimums={Colour.blue: 12, Colour.yellow: 9})
    targets = draw(replace(inputs, params=params), SEED).targets
    colours = Counter(t.colour for t in targets)
    assert colours[Colour.blue] >= 12 and colours[Colour.yellow] >= 9
    assert any(t.stratum == "colour_minimum" for t in targets)


def test_officers_are_drawn_only_from_the_certified_and_qualified() -> None:
    inputs = _inputs(officers=30)
    params = replace(inputs.params, officer_sectors=frozenset({"coal_mine"}))
    result = draw(replace(inputs, params=params), SEED)
    roster = {o.officer_id: o for o in inputs.officers}
    eligible = [o for o in inputs.officers if o.is_certified and "coal_mine" in o.sectors]
    assert len(result.officers) == min(30, len(eligible))
    assert result.officer_shortfall == 30 - len(result.officers)
    assert all(
        roster[o.officer_id].is_certified and "coal_mine" in roster[o.officer_id].sectors
        for o in result.officers
    )


def test_colour_of_a_risk_level_and_of_no_level() -> None:
    assert Colour.of(RiskLevel.orange) is Colour.orange and Colour.of(None) is Colour.unassessed


def test_default_params_take_the_policy_shares() -> None:
    params = default_params("p", 1000, 20, POLICY)
    assert (params.random_share_pct, params.control_size) == (70, 50)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: replace(p, quota=-1), "quota"),
        (lambda p: replace(p, control_size=10_000), "control_size"),
        (lambda p: replace(p, random_share_pct=101), "random_share_pct"),
        (lambda p: replace(p, plan_id=""), "plan_id"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(change: object, field: str) -> None:
    inputs = _inputs()
    with pytest.raises(InvalidInputError) as caught:
        draw(replace(inputs, params=change(inputs.params)), SEED)  # type: ignore[operator]
    assert caught.value.details["fields"][0]["field"] == field


def test_a_duplicate_enterprise_or_a_short_seed_is_refused() -> None:
    inputs = _inputs()
    with pytest.raises(InvalidInputError):
        draw(replace(inputs, pool=(*inputs.pool, inputs.pool[0])), SEED)
    with pytest.raises(InvalidInputError):
        draw(inputs, b"short")


def test_a_policy_missing_a_colour_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        draw(replace(_inputs(), policy=Policy("x", POLICY.colours[:-1], POLICY.trigger_priority)), SEED)


# ---- the draw never breaks its bounds -----------------------------------------------------------

candidates = st.builds(
    Candidate,
    enterprise_id=st.text("ABCDEF0123456789", min_size=1, max_size=4),
    colour=st.sampled_from(COLOURS),
    sector=st.sampled_from(["coal_mine", "hazchem"]),
    county_code=st.just("320311"),
    triggers=st.lists(st.builds(Trigger, st.sampled_from(list(TriggerKind)), st.just("R")), max_size=2).map(
        tuple
    ),
)
officers = st.builds(
    Officer,
    officer_id=st.text("XYZ0123", min_size=1, max_size=3),
    is_certified=st.booleans(),
    sectors=st.frozensets(st.sampled_from(["coal_mine", "hazchem"])),
    county_code=st.just("320100"),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(candidates, max_size=40, unique_by=lambda c: c.enterprise_id),
    st.lists(officers, max_size=15, unique_by=lambda o: o.officer_id),
    st.integers(0, 50),
    st.integers(0, 100),
    st.data(),
)
def test_the_draw_never_exceeds_the_quota_repeats_or_leaves_the_pool(
    pool: list[Candidate], roster: list[Officer], quota: int, share: int, data: st.DataObject
) -> None:
    control = data.draw(st.integers(0, quota))
    minimums = data.draw(st.dictionaries(st.sampled_from(COLOURS), st.integers(0, 10)))
    seed = data.draw(st.binary(min_size=16, max_size=32))
    params = DrawParams("prop", quota, share, control, data.draw(st.integers(0, 20)), minimums)
    inputs = DrawInputs(params, POLICY, tuple(pool), tuple(roster))
    result = draw(inputs, seed)
    ids = [t.enterprise_id for t in result.targets]
    assert len(ids) <= quota and len(ids) == len(set(ids))
    assert set(ids) <= {c.enterprise_id for c in pool}
    assert len(ids) + result.target_shortfall == quota
    assert len(ids) == min(quota, len(pool))
    assert sum(t.kind is SelectionKind.control for t in result.targets) == min(control, len(pool))
    kinds = [t.kind for t in result.targets]
    assert kinds == sorted(
        kinds, key=[SelectionKind.trigger, SelectionKind.random, SelectionKind.control].index
    )
    picked = [o.officer_id for o in result.officers]
    assert len(picked) == len(set(picked)) <= params.officer_count
    certified = {o.officer_id for o in roster if o.is_certified}
    assert set(picked) <= certified
    assert verify(run_draw(inputs, seed)).is_valid


# ---- publication (一公开) -----------------------------------------------------------------------


def test_publication_shows_only_inspected_targets_and_withholds_confidential_fields() -> None:
    inputs = _trigger_inputs()
    inputs = replace(inputs, officers=(Officer("CERT-0001", True, frozenset({"hazchem"}), "320100"),))
    inputs = replace(inputs, params=replace(inputs.params, officer_count=1))
    record = run_draw(inputs, SEED)
    targets = record.result.targets
    outcomes = [
        InspectionOutcome(targets[0].enterprise_id, date(2026, 3, 2), 1, "责令限期整改"),
        InspectionOutcome(targets[1].enterprise_id, date(2026, 3, 9), 2, "未发现问题"),
        InspectionOutcome(targets[2].enterprise_id, None, 3, ""),
    ]
    publication = publication_rows(record, outcomes, as_of=date(2026, 3, 5))
    assert [r["enterprise_id"] for r in publication.rows] == [targets[0].enterprise_id]
    assert publication.withheld == len(targets) - 1 and not publication.is_complete
    text = json.dumps(publication.rows, ensure_ascii=False)
    assert "CERT-0001" not in text and "ACC-7" not in text and "2026-03-09" not in text
    assert publication.rows[0]["trigger_kinds"] == "accident" and publication.rows[0]["team_no"] == 1
    later = publication_rows(record, outcomes, as_of=date(2026, 12, 31))
    e4 = next(r for r in later.rows if r["enterprise_id"] == "E4")
    assert e4["trigger_kinds"] == "complaint;risk_list" and "C-3" not in json.dumps(later.rows)


def test_publication_gives_emphasis_programme_codes() -> None:
    inputs = _trigger_inputs()
    record = run_draw(replace(inputs, params=replace(inputs.params, random_share_pct=0)), SEED)
    outcomes = [InspectionOutcome(t.enterprise_id, date(2026, 3, 2), 1, "") for t in record.result.targets]
    publication = publication_rows(record, outcomes, as_of=date(2026, 3, 2))
    assert publication.is_complete
    assert next(r for r in publication.rows if r["enterprise_id"] == "E3")["programme_codes"] == "NEP-2026-01"


# ---- the documented worked example --------------------------------------------------------------


EXAMPLE_SEED = bytes.fromhex("8f3a1c5e9b2d4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8")


def example_inputs() -> DrawInputs:
    """The worked example of docs/enforcement-draw.md: eight enterprises, three officers."""
    pool = (
        Candidate("91320311MA1A000001", Colour.red, "hazchem_production", "320311"),
        Candidate("91320311MA1A000002", Colour.orange, "hazchem_storage", "320311"),
        Candidate("91320311MA1A000003", Colour.yellow, "hazchem_trading", "320311"),
        Candidate("91320311MA1A000004", Colour.blue, "hazchem_trading", "320311"),
        Candidate("91320312MA1A000005", Colour.red, "hazchem_production", "320312"),
        Candidate("91320312MA1A000006", Colour.unassessed, "hazchem_storage", "320312"),
        Candidate(
            "91320312MA1A000007",
            Colour.yellow,
            "hazchem_production",
            "320312",
            (Trigger(TriggerKind.complaint, "TS-2026-0042"),),
        ),
        Candidate("91320312MA1A000008", Colour.blue, "hazchem_storage", "320312"),
    )
    officers = (
        Officer("AJ-32-0001", True, frozenset({"hazchem_production"}), "320311"),
        Officer("AJ-32-0002", True, frozenset({"hazchem_storage", "hazchem_trading"}), "320312"),
        Officer("AJ-32-0003", False, frozenset({"hazchem_production"}), "320311"),
        Officer("AJ-32-0004", True, frozenset({"hazchem_production", "hazchem_storage"}), "320302"),
    )
    params = DrawParams("JS-3203-2026-Q2", 4, 75, 1, 2)
    return DrawInputs(params, POLICY, pool, officers)


def test_the_worked_example_in_the_docs_is_what_the_code_computes() -> None:
    doc = (ROOT / "docs" / "enforcement-draw.md").read_text(encoding="utf-8")
    inputs = example_inputs()
    record = run_draw(inputs, EXAMPLE_SEED)
    assert commitment(inputs.params.plan_id, EXAMPLE_SEED) in doc
    assert inputs_sha256(inputs) in doc
    for target in record.result.targets:
        assert f"| {target.rank} | {target.enterprise_id} |" in doc
        assert target.key[:16] in doc
    for officer in record.result.officers:
        assert f"| {officer.rank} | {officer.officer_id} |" in doc
