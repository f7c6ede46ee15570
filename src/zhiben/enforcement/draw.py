"""The verifiable double-random draw (双随机): inspection targets and inspectors, pure.

Before the draw the plan publishes a `Seal`: a commitment to a secret seed (SHA-256 of a fixed prefix, the
plan id and the seed) and the SHA-256 of the canonical inputs (the pool, the officer roster, the
parameters and the policy). `run_draw` then selects, in four stages, each reproducible from the inputs
and the seed alone:

1. control sample (对照样本): `control_size` enterprises uniformly from the whole pool (OSHA's random
   control sample, so the targeting can be measured);
2. triggers: enterprises with a trigger (accident, complaint, ...) by priority, up to the targeted share;
3. colour minimums: at least `colour_minimums[c]` enterprises of colour c, at random within the colour;
4. weighted random: the rest of the quota by Efraimidis-Spirakis sampling without replacement with
   the colour weights, keys compared exactly in integers (no floating point anywhere).

Officers are drawn uniformly among the certified ones. Each random number is HMAC-SHA256(seed, purpose
and id), so adding or removing one enterprise changes no other enterprise's number, and the order of the
pool never matters. `verify` recomputes everything from a `DrawRecord` and names what differs;
`publication_rows` gives the open data (一公开) with confidential fields withheld. The algorithm is
specified for reimplementation in docs/enforcement-draw.md. No I/O except reading the packaged policy,
no clock, no randomness of its own: the caller generates the seed (`secrets.token_bytes(32)`).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from math import gcd
from typing import Any

import yaml

from zhiben.errors import InvalidInputError
from zhiben.kit.hashing import canonical_json, sha256_hex
from zhiben.monitoring.risk_domain import RiskLevel

FORMAT = "zhiben-enforcement-draw/1"
ALGORITHM = "zhiben-draw/1"
COMMITMENT_PREFIX = b"zhiben-enforcement-draw/1/commitment"
UNIFORM_BITS = 257  # u = (2N + 1) / 2**257 for a 256-bit HMAC value N: strictly inside (0, 1)
MAX_WEIGHT = 100
MIN_SEED_BYTES = 16
MAX_PROBLEMS = 20


class Colour(StrEnum):
    """An enterprise's risk colour (monitoring's `RiskLevel`), or `unassessed` (未评估)."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"
    unassessed = "unassessed"

    @classmethod
    def of(cls, level: RiskLevel | None) -> Colour:
        return cls.unassessed if level is None else cls(level.value)


class TriggerKind(StrEnum):
    accident = "accident"  # 生产安全事故
    complaint = "complaint"  # 举报投诉
    referral = "referral"  # 移送/转办
    minimum_frequency = "minimum_frequency"  # a statutory or planned minimum frequency falls due
    risk_list = "risk_list"  # 重点检查名单
    emphasis = "emphasis"  # 专项 / emphasis programme; ref = the programme code


class SelectionKind(StrEnum):
    trigger = "trigger"
    random = "random"
    control = "control"


@dataclass(frozen=True, order=True)
class Trigger:
    kind: TriggerKind
    ref: str  # an opaque reference (case number, programme code), never a complainant's name


@dataclass(frozen=True)
class Candidate:
    enterprise_id: str
    colour: Colour
    sector: str
    county_code: str
    triggers: tuple[Trigger, ...] = ()


@dataclass(frozen=True)
class Officer:
    officer_id: str  # the enforcement certificate number or an opaque roster id, never a name
    is_certified: bool
    sectors: frozenset[str]
    county_code: str


@dataclass(frozen=True)
class Policy:
    """Weights per colour (in tie-break order) and trigger priorities: data/draw_policy.yaml."""

    version: str
    colours: tuple[tuple[Colour, int], ...]
    trigger_priority: Mapping[TriggerKind, int]
    random_share_pct: int = 70
    control_pct: int = 5

    @property
    def weights(self) -> dict[Colour, int]:
        return dict(self.colours)


@dataclass(frozen=True)
class DrawParams:
    plan_id: str
    quota: int  # every selected enterprise counts, control sample included
    random_share_pct: int  # at least this share of the quota is drawn at random (stages 1, 3, 4)
    control_size: int
    officer_count: int
    colour_minimums: Mapping[Colour, int] = field(default_factory=dict)
    officer_sectors: frozenset[str] | None = None  # officers must be qualified for one of these; None: any
    # emphasis programmes (专项) the plan names: code → its questions, sealed with the inputs so the
    # questions attached after the draw are those announced; the draw itself reads only the triggers
    emphasis: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DrawInputs:
    params: DrawParams
    policy: Policy
    pool: tuple[Candidate, ...]
    officers: tuple[Officer, ...]


@dataclass(frozen=True)
class Selection:
    """Why an enterprise was selected: its stage (`kind`, and `stratum` for random picks), the weight the
    stage applied, the trigger priority, all its triggers (deciding one first) and the HMAC key."""

    rank: int
    enterprise_id: str
    colour: Colour
    kind: SelectionKind
    stratum: str | None  # random picks: "colour_minimum" or "weighted"
    priority: int | None  # trigger picks: the best priority among its triggers
    weight: int | None  # weighted and colour-minimum picks: the colour weight; control: 1; trigger: None
    key: str  # hex HMAC value N that ordered it in its stage
    triggers: tuple[Trigger, ...] = ()


@dataclass(frozen=True)
class OfficerPick:
    rank: int
    officer_id: str
    key: str


@dataclass(frozen=True)
class DrawResult:
    targets: tuple[Selection, ...]
    officers: tuple[OfficerPick, ...]
    overflow: tuple[str, ...]  # triggered enterprises left out because the targeted share was full
    target_shortfall: int
    officer_shortfall: int


@dataclass(frozen=True)
class Seal:
    """What the plan publishes before the draw."""

    plan_id: str
    commitment: str
    inputs_sha256: str


@dataclass(frozen=True)
class DrawRecord:
    inputs: DrawInputs
    inputs_sha256: str
    commitment: str
    seed: bytes
    result: DrawResult


@dataclass(frozen=True)
class VerifyResult:
    is_valid: bool
    problems: tuple[str, ...]


# ---- policy ---------------------------------------------------------------------------------------


def policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    colours = tuple((Colour(row["colour"]), int(row["weight"])) for row in data["colours"])
    priorities = {TriggerKind(row["kind"]): int(row["priority"]) for row in data["triggers"]}
    defaults = data.get("defaults", {})
    policy = Policy(
        version=str(data["version"]),
        colours=colours,
        trigger_priority=priorities,
        random_share_pct=int(defaults.get("random_share_pct", 70)),
        control_pct=int(defaults.get("control_pct", 5)),
    )
    _check_policy(policy)
    return policy


@lru_cache(maxsize=1)
def load_policy() -> Policy:
    text = resources.files("zhiben.enforcement").joinpath("data/draw_policy.yaml").read_text("utf-8")
    return policy_from_mapping(yaml.safe_load(text))


def _percent_up(quota: int, pct: int) -> int:
    """ceil(quota × pct / 100) in integers."""
    return (quota * pct + 99) // 100


def default_params(plan_id: str, quota: int, officer_count: int, policy: Policy) -> DrawParams:
    """The policy's default random share and control sample (rounded up) for a quota."""
    control = min(quota, _percent_up(quota, policy.control_pct))
    return DrawParams(plan_id, quota, policy.random_share_pct, control, officer_count)


# ---- validation -----------------------------------------------------------------------------------


def _check_id(field_name: str, value: str) -> None:
    if not value or "\x00" in value:
        raise InvalidInputError(field_name, "invalid", "must be a non-empty string without NUL")


def _check_policy(policy: Policy) -> None:
    colours = [c for c, _ in policy.colours]
    if sorted(colours) != sorted(Colour) or len(colours) != len(set(colours)):
        raise InvalidInputError("policy.colours", "incomplete", "every colour exactly once")
    if any(not 0 <= w <= MAX_WEIGHT for _, w in policy.colours):
        raise InvalidInputError("policy.colours", "out_of_range", f"weights are integers 0..{MAX_WEIGHT}")
    if set(policy.trigger_priority) != set(TriggerKind):
        raise InvalidInputError("policy.triggers", "incomplete", "every trigger kind exactly once")


def _check(inputs: DrawInputs, seed: bytes) -> None:
    p = inputs.params
    _check_id("plan_id", p.plan_id)
    _check_policy(inputs.policy)
    if len(seed) < MIN_SEED_BYTES:
        raise InvalidInputError("seed", "too_short", f"at least {MIN_SEED_BYTES} bytes (32 recommended)")
    numbers = {"quota": p.quota, "control_size": p.control_size, "officer_count": p.officer_count}
    for name, number in numbers.items():
        if number < 0:
            raise InvalidInputError(name, "negative", "must be 0 or more")
    if not 0 <= p.random_share_pct <= 100:
        raise InvalidInputError("random_share_pct", "out_of_range", "must be 0..100")
    if p.control_size > p.quota:
        raise InvalidInputError("control_size", "above_quota", "the control sample is part of the quota")
    if any(n < 0 for n in p.colour_minimums.values()):
        raise InvalidInputError("colour_minimums", "negative", "must be 0 or more")
    for label, ids in (
        ("pool", [c.enterprise_id for c in inputs.pool]),
        ("officers", [o.officer_id for o in inputs.officers]),
    ):
        for value in ids:
            _check_id(label, value)
        if len(ids) != len(set(ids)):
            duplicate = next(i for i, n in Counter(ids).items() if n > 1)
            raise InvalidInputError(label, "duplicate", f"{duplicate} appears more than once")


# ---- canonical inputs, commitment, keyed numbers --------------------------------------------------


def inputs_document(inputs: DrawInputs) -> dict[str, Any]:
    """The canonical inputs: every list that has no meaning in its order is sorted."""
    p, policy = inputs.params, inputs.policy
    params: dict[str, Any] = {
        "plan_id": p.plan_id,
        "quota": p.quota,
        "random_share_pct": p.random_share_pct,
        "control_size": p.control_size,
        "officer_count": p.officer_count,
        "colour_minimums": {c.value: n for c, n in p.colour_minimums.items() if n},
        "officer_sectors": None if p.officer_sectors is None else sorted(p.officer_sectors),
    }
    if p.emphasis:  # only when named, so the inputs of a plan without programmes hash as before
        params["emphasis"] = {code: list(questions) for code, questions in sorted(p.emphasis.items())}
    return {
        "algorithm": ALGORITHM,
        "params": params,
        "policy": {
            "version": policy.version,
            "colours": [[c.value, w] for c, w in policy.colours],  # order = tie-break order
            "trigger_priority": {k.value: n for k, n in policy.trigger_priority.items()},
        },
        "pool": [
            {
                "enterprise_id": c.enterprise_id,
                "colour": c.colour.value,
                "sector": c.sector,
                "county_code": c.county_code,
                "triggers": [[t.kind.value, t.ref] for t in sorted(set(c.triggers))],
            }
            for c in sorted(inputs.pool, key=lambda c: c.enterprise_id)
        ],
        "officers": [
            {
                "officer_id": o.officer_id,
                "is_certified": o.is_certified,
                "sectors": sorted(o.sectors),
                "county_code": o.county_code,
            }
            for o in sorted(inputs.officers, key=lambda o: o.officer_id)
        ],
    }


def _integer(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInputError(f"inputs.params.{name}", "not_integer", "must be a JSON integer")
    return value


def inputs_from_document(doc: Mapping[str, Any]) -> DrawInputs:
    if doc.get("algorithm") != ALGORITHM:
        raise InvalidInputError("inputs.algorithm", "unknown", f"expected {ALGORITHM}")
    p, policy = doc["params"], doc["policy"]
    params = DrawParams(
        plan_id=str(p["plan_id"]),
        quota=_integer(p, "quota"),
        random_share_pct=_integer(p, "random_share_pct"),
        control_size=_integer(p, "control_size"),
        officer_count=_integer(p, "officer_count"),
        colour_minimums={Colour(c): int(n) for c, n in p["colour_minimums"].items()},
        officer_sectors=None if p["officer_sectors"] is None else frozenset(p["officer_sectors"]),
        emphasis={str(c): tuple(str(q) for q in qs) for c, qs in p.get("emphasis", {}).items()},
    )
    pol = Policy(
        version=policy["version"],
        colours=tuple((Colour(c), int(w)) for c, w in policy["colours"]),
        trigger_priority={TriggerKind(k): int(n) for k, n in policy["trigger_priority"].items()},
    )
    pool = tuple(
        Candidate(
            enterprise_id=c["enterprise_id"],
            colour=Colour(c["colour"]),
            sector=c["sector"],
            county_code=c["county_code"],
            triggers=tuple(Trigger(TriggerKind(k), r) for k, r in c["triggers"]),
        )
        for c in doc["pool"]
    )
    officers = tuple(
        Officer(o["officer_id"], bool(o["is_certified"]), frozenset(o["sectors"]), o["county_code"])
        for o in doc["officers"]
    )
    return DrawInputs(params, pol, pool, officers)


def inputs_sha256(inputs: DrawInputs) -> str:
    return sha256_hex(canonical_json(inputs_document(inputs)))


def commitment(plan_id: str, seed: bytes) -> str:
    """SHA-256(prefix ‖ 0x00 ‖ UTF-8 plan id ‖ 0x00 ‖ seed), hex."""
    return hashlib.sha256(COMMITMENT_PREFIX + b"\x00" + plan_id.encode() + b"\x00" + seed).hexdigest()


def seal(inputs: DrawInputs, seed: bytes) -> Seal:
    """What to publish before the draw: the commitment to the seed and the hash of the inputs."""
    _check(inputs, seed)
    plan_id = inputs.params.plan_id
    return Seal(plan_id, commitment(plan_id, seed), inputs_sha256(inputs))


def keyed_number(seed: bytes, plan_id: str, purpose: str, ident: str) -> int:
    """N = HMAC-SHA256(seed, "zhiben-draw/1" 0x00 plan id 0x00 purpose 0x00 id) as a 256-bit integer."""
    message = "\x00".join((ALGORITHM, plan_id, purpose, ident)).encode()
    return int.from_bytes(hmac.digest(seed, message, "sha256"), "big")


# ---- exact weighted order (Efraimidis-Spirakis) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Keyed:
    """An item in the weighted order: key = u ** (1 / weight), u = a / 2**257 with a = 2N + 1."""

    a: int
    weight: int
    ident: str

    def __lt__(self, other: _Keyed) -> bool:
        """True when self ranks before other (a larger key; equal keys: the smaller id)."""
        if self.weight == other.weight:
            return self.a > other.a or (self.a == other.a and self.ident < other.ident)
        # u_s^(1/w_s) > u_o^(1/w_o)  <=>  u_s^(w_o/g) > u_o^(w_s/g)  <=>  a_s^p * 2^(B q) > a_o^q * 2^(B p)
        g = gcd(self.weight, other.weight)
        p, q = other.weight // g, self.weight // g
        mine: int = self.a**p << (UNIFORM_BITS * q)
        theirs: int = other.a**q << (UNIFORM_BITS * p)
        return mine > theirs


def weighted_top(items: Iterable[tuple[str, int, int]], k: int) -> list[tuple[str, int, int]]:
    """The first k of (id, weight, N) items in descending Efraimidis-Spirakis key, exactly: items of one
    weight are sorted by N, then the groups are merged by exact integer comparison of the keys."""
    groups: dict[int, list[_Keyed]] = {}
    for ident, weight, n in items:
        if weight > 0:
            groups.setdefault(weight, []).append(_Keyed(2 * n + 1, weight, ident))
    heads: list[tuple[_Keyed, int, int]] = []
    for weight, group in groups.items():
        group.sort(key=lambda x: (-x.a, x.ident))
        heads.append((group[0], weight, 0))
    heapq.heapify(heads)
    chosen: list[tuple[str, int, int]] = []
    while heads and len(chosen) < k:
        best, weight, index = heapq.heappop(heads)
        chosen.append((best.ident, weight, (best.a - 1) // 2))
        group = groups[weight]
        if index + 1 < len(group):
            heapq.heappush(heads, (group[index + 1], weight, index + 1))
    return chosen


def _uniform_order(idents: Iterable[str], numbers: Mapping[str, int]) -> list[str]:
    """Equal weights: Efraimidis-Spirakis reduces to descending N (ties: smaller id first)."""
    return sorted(idents, key=lambda i: (-numbers[i], i))


# ---- the draw -------------------------------------------------------------------------------------


def _trigger_sort(policy: Policy, triggers: Iterable[Trigger]) -> tuple[Trigger, ...]:
    return tuple(sorted(set(triggers), key=lambda t: (policy.trigger_priority[t.kind], t.kind.value, t.ref)))


class _Draft:
    """The picks so far, in the order the stages made them, and the keyed numbers they used."""

    def __init__(self, inputs: DrawInputs, seed: bytes) -> None:
        self.params, self.policy, self.seed = inputs.params, inputs.policy, seed
        self.weights = inputs.policy.weights
        self.pool = {c.enterprise_id: c for c in inputs.pool}
        self.numbers = {purpose: self.keyed(purpose, self.pool) for purpose in ("target", "control")}
        self.picks: dict[str, Selection] = {}

    def keyed(self, purpose: str, idents: Iterable[str]) -> dict[str, int]:
        return {i: keyed_number(self.seed, self.params.plan_id, purpose, i) for i in idents}

    def left(self) -> int:
        return self.params.quota - len(self.picks)

    def pick(self, ident: str, kind: SelectionKind, n: int, **why: Any) -> None:
        c = self.pool[ident]
        triggers = _trigger_sort(self.policy, c.triggers)
        why = {"stratum": None, "priority": None, "weight": None} | why
        self.picks[ident] = Selection(0, ident, c.colour, kind, key=f"{n:064x}", triggers=triggers, **why)


def _control_stage(d: _Draft) -> None:
    numbers = d.numbers["control"]
    for ident in _uniform_order(d.pool, numbers)[: d.params.control_size]:
        d.pick(ident, SelectionKind.control, numbers[ident], weight=1)


def _trigger_stage(d: _Draft) -> list[str]:
    """Triggered enterprises by (best priority, colour order, descending N, id) up to the targeted share;
    returns the ids left over."""
    p, policy = d.params, d.policy
    cap = max(0, p.quota - max(_percent_up(p.quota, p.random_share_pct), p.control_size))
    triggered = [c for i, c in d.pool.items() if c.triggers and i not in d.picks]
    numbers = d.keyed("trigger", (c.enterprise_id for c in triggered))
    best = {c.enterprise_id: min(policy.trigger_priority[t.kind] for t in c.triggers) for c in triggered}
    colour_index = {c: i for i, (c, _) in enumerate(policy.colours)}
    triggered.sort(
        key=lambda c: (
            best[c.enterprise_id],
            colour_index[c.colour],
            -numbers[c.enterprise_id],
            c.enterprise_id,
        )
    )
    for c in triggered[:cap]:
        d.pick(
            c.enterprise_id, SelectionKind.trigger, numbers[c.enterprise_id], priority=best[c.enterprise_id]
        )
    return [c.enterprise_id for c in triggered[cap:]]


def _minimum_stage(d: _Draft) -> None:
    numbers = d.numbers["target"]
    for colour, weight in d.policy.colours:
        have = sum(1 for s in d.picks.values() if s.colour is colour)
        need = min(d.params.colour_minimums.get(colour, 0) - have, d.left())
        if need <= 0:
            continue
        rest = [i for i, c in d.pool.items() if c.colour is colour and i not in d.picks]
        for ident in _uniform_order(rest, numbers)[:need]:
            d.pick(ident, SelectionKind.random, numbers[ident], stratum="colour_minimum", weight=weight)


def _weighted_stage(d: _Draft) -> None:
    numbers = d.numbers["target"]
    items = ((i, d.weights[c.colour], numbers[i]) for i, c in d.pool.items() if i not in d.picks)
    for ident, weight, n in weighted_top(items, d.left()):
        d.pick(ident, SelectionKind.random, n, stratum="weighted", weight=weight)


STAGE_ORDER = {SelectionKind.trigger: 0, SelectionKind.random: 1, SelectionKind.control: 2}


def _draw_targets(inputs: DrawInputs, seed: bytes) -> tuple[list[Selection], list[str], int]:
    """Stages run control → triggers → colour minimums → weighted; targets are listed triggers first,
    then random picks, then the control sample, each stage in its own draw order."""
    d = _Draft(inputs, seed)
    _control_stage(d)
    overflow = _trigger_stage(d)
    _minimum_stage(d)
    _weighted_stage(d)
    ordered = sorted(d.picks.values(), key=lambda s: STAGE_ORDER[s.kind])  # stable sort
    targets = [replace(s, rank=r) for r, s in enumerate(ordered, start=1)]
    return targets, overflow, inputs.params.quota - len(targets)


def _draw_officers(inputs: DrawInputs, seed: bytes) -> tuple[list[OfficerPick], int]:
    p = inputs.params
    eligible = [
        o.officer_id
        for o in inputs.officers
        if o.is_certified and (p.officer_sectors is None or o.sectors & p.officer_sectors)
    ]
    numbers = {i: keyed_number(seed, p.plan_id, "officer", i) for i in eligible}
    chosen = _uniform_order(eligible, numbers)[: p.officer_count]
    picks = [OfficerPick(r, i, f"{numbers[i]:064x}") for r, i in enumerate(chosen, start=1)]
    return picks, p.officer_count - len(picks)


def draw(inputs: DrawInputs, seed: bytes) -> DrawResult:
    _check(inputs, seed)
    targets, overflow, target_short = _draw_targets(inputs, seed)
    officers, officer_short = _draw_officers(inputs, seed)
    return DrawResult(tuple(targets), tuple(officers), tuple(sorted(overflow)), target_short, officer_short)


def run_draw(inputs: DrawInputs, seed: bytes) -> DrawRecord:
    """The full record, to keep confidential until the draw's inspections are done (then publish it)."""
    sealed = seal(inputs, seed)
    return DrawRecord(inputs, sealed.inputs_sha256, sealed.commitment, seed, draw(inputs, seed))


# ---- the record as canonical JSON -----------------------------------------------------------------


def _selection_document(s: Selection) -> dict[str, Any]:
    return {
        "rank": s.rank,
        "enterprise_id": s.enterprise_id,
        "colour": s.colour.value,
        "kind": s.kind.value,
        "stratum": s.stratum,
        "priority": s.priority,
        "weight": s.weight,
        "key": s.key,
        "triggers": [[t.kind.value, t.ref] for t in s.triggers],
    }


def record_document(record: DrawRecord) -> dict[str, Any]:
    r = record.result
    return {
        "format": FORMAT,
        "plan_id": record.inputs.params.plan_id,
        "commitment": record.commitment,
        "inputs_sha256": record.inputs_sha256,
        "seed": record.seed.hex(),
        "inputs": inputs_document(record.inputs),
        "result": {
            "targets": [_selection_document(s) for s in r.targets],
            "officers": [{"rank": o.rank, "officer_id": o.officer_id, "key": o.key} for o in r.officers],
            "overflow": list(r.overflow),
            "target_shortfall": r.target_shortfall,
            "officer_shortfall": r.officer_shortfall,
        },
    }


def record_to_json(record: DrawRecord) -> str:
    """Canonical JSON: keys sorted, no spaces, UTF-8 (kit.hashing.canonical_json)."""
    return canonical_json(record_document(record))


def record_from_document(doc: Mapping[str, Any]) -> DrawRecord:
    if doc.get("format") != FORMAT:
        raise InvalidInputError("format", "unknown", f"expected {FORMAT}")
    r = doc["result"]
    targets = tuple(
        Selection(
            rank=t["rank"],
            enterprise_id=t["enterprise_id"],
            colour=Colour(t["colour"]),
            kind=SelectionKind(t["kind"]),
            stratum=t["stratum"],
            priority=t["priority"],
            weight=t["weight"],
            key=t["key"],
            triggers=tuple(Trigger(TriggerKind(k), ref) for k, ref in t["triggers"]),
        )
        for t in r["targets"]
    )
    officers = tuple(OfficerPick(o["rank"], o["officer_id"], o["key"]) for o in r["officers"])
    result = DrawResult(
        targets, officers, tuple(r["overflow"]), r["target_shortfall"], r["officer_shortfall"]
    )
    inputs = inputs_from_document(doc["inputs"])
    if inputs.params.plan_id != doc["plan_id"]:
        raise InvalidInputError("plan_id", "mismatch", "differs from inputs.params.plan_id")
    return DrawRecord(inputs, doc["inputs_sha256"], doc["commitment"], bytes.fromhex(doc["seed"]), result)


def record_from_json(text: str) -> DrawRecord:
    return record_from_document(json.loads(text))


# ---- verification ---------------------------------------------------------------------------------


def _describe(s: Selection | None) -> str:
    if s is None:
        return "nothing"
    how = (
        s.kind.value
        + (f"/{s.stratum}" if s.stratum else "")
        + (f" priority {s.priority}" if s.priority else "")
    )
    return f"{s.enterprise_id} ({how}, weight {s.weight}, key {s.key[:12]}…)"


def _diff_targets(recorded: Sequence[Selection], fresh: Sequence[Selection]) -> list[str]:
    problems = []
    for rank in range(1, max(len(recorded), len(fresh)) + 1):
        a = recorded[rank - 1] if rank <= len(recorded) else None
        b = fresh[rank - 1] if rank <= len(fresh) else None
        if a != b:
            problems.append(f"target rank {rank}: the record has {_describe(a)}, recomputed {_describe(b)}")
    mine, theirs = {s.enterprise_id for s in recorded}, {s.enterprise_id for s in fresh}
    if extra := sorted(mine - theirs):
        problems.append(f"targets in the record but not in the recomputed draw: {', '.join(extra[:10])}")
    if missing := sorted(theirs - mine):
        problems.append(f"targets in the recomputed draw but not in the record: {', '.join(missing[:10])}")
    return problems


def _diff_result(recorded: DrawResult, fresh: DrawResult) -> list[str]:
    problems = _diff_targets(recorded.targets, fresh.targets)
    for rank in range(1, max(len(recorded.officers), len(fresh.officers)) + 1):
        a = recorded.officers[rank - 1].officer_id if rank <= len(recorded.officers) else "nothing"
        b = fresh.officers[rank - 1].officer_id if rank <= len(fresh.officers) else "nothing"
        if a != b or (a != "nothing" and recorded.officers[rank - 1] != fresh.officers[rank - 1]):
            problems.append(f"officer rank {rank}: the record has {a}, recomputed {b}")
    for name in ("overflow", "target_shortfall", "officer_shortfall"):
        if getattr(recorded, name) != getattr(fresh, name):
            problems.append(
                f"{name}: the record has {getattr(recorded, name)!r}, recomputed {getattr(fresh, name)!r}"
            )
    return problems


def verify(record: DrawRecord, published: Seal | None = None) -> VerifyResult:
    """Recompute the inputs hash, the commitment and the draw; `published` is the seal as announced
    before the draw (taken from the plan notice, not from the record). Every difference is named."""
    plan_id = record.inputs.params.plan_id
    problems: list[str] = []
    if published is not None:
        for name, announced, recorded in (
            ("plan id", published.plan_id, plan_id),
            ("commitment", published.commitment, record.commitment),
            ("inputs hash", published.inputs_sha256, record.inputs_sha256),
        ):
            if announced != recorded:
                problems.append(
                    f"{name}: announced before the draw as {announced}, the record has {recorded}"
                )
    fresh_hash = inputs_sha256(record.inputs)
    if fresh_hash != record.inputs_sha256:
        problems.append(
            f"inputs: their canonical SHA-256 is {fresh_hash}, the record says {record.inputs_sha256} "
            "(the pool, the officer roster, a parameter or the policy is not what was sealed)"
        )
    fresh_commitment = commitment(plan_id, record.seed)
    if fresh_commitment != record.commitment:
        problems.append(
            f"seed: its commitment is {fresh_commitment}, the record says {record.commitment} "
            "(the revealed seed is not the committed one)"
        )
    try:
        problems += _diff_result(record.result, draw(record.inputs, record.seed))
    except InvalidInputError as error:
        problems.append(f"inputs: the draw cannot be recomputed: {error}")
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more differences"]
    return VerifyResult(not problems, tuple(problems))


def verify_json(text: str, published: Seal | None = None) -> VerifyResult:
    try:
        record = record_from_json(text)
    except (ValueError, KeyError, TypeError, InvalidInputError) as error:
        return VerifyResult(False, (f"record: unreadable ({type(error).__name__}: {error})",))
    return verify(record, published)


# ---- publication (一公开) --------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionOutcome:
    enterprise_id: str
    inspected_on: date | None  # None: not inspected yet
    team_no: int  # the team's number in the plan; officer identities are not published
    result: str  # the published summary, e.g. "未发现问题", "责令限期整改"


@dataclass(frozen=True)
class Publication:
    rows: tuple[dict[str, Any], ...]
    withheld: int  # targets not inspected by `as_of`: no row at all, so nothing announces them

    @property
    def is_complete(self) -> bool:
        """Every target inspected: the full record (seed included) may now be published as well."""
        return self.withheld == 0


PUBLIC_TRIGGER_REFS = frozenset({TriggerKind.emphasis})  # programme codes are public; case numbers are not


def publication_rows(record: DrawRecord, outcomes: Iterable[InspectionOutcome], as_of: date) -> Publication:
    """Open-data rows for the targets inspected on or before `as_of`. Withheld: targets not yet inspected
    (their existence and dates), officer ids (team numbers instead), refs of complaints, accidents,
    referrals and lists (kinds only)."""
    done = {o.enterprise_id: o for o in outcomes if o.inspected_on is not None and o.inspected_on <= as_of}
    pool = {c.enterprise_id: c for c in record.inputs.pool}
    rows = []
    for s in record.result.targets:
        outcome = done.get(s.enterprise_id)
        if outcome is None:
            continue
        c = pool[s.enterprise_id]
        rows.append(
            {
                "plan_id": record.inputs.params.plan_id,
                "rank": s.rank,
                "enterprise_id": s.enterprise_id,
                "sector": c.sector,
                "county_code": c.county_code,
                "colour": s.colour.value,
                "selection": s.kind.value,
                "stratum": s.stratum or "",
                "trigger_kinds": ";".join(dict.fromkeys(t.kind.value for t in s.triggers)),
                "programme_codes": ";".join(t.ref for t in s.triggers if t.kind in PUBLIC_TRIGGER_REFS),
                "weight": s.weight,
                "key": s.key,
                "inspected_on": outcome.inspected_on.isoformat() if outcome.inspected_on else "",
                "team_no": outcome.team_no,
                "result": outcome.result,
            }
        )
    return Publication(tuple(rows), len(record.result.targets) - len(rows))
