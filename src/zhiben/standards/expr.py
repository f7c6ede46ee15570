"""The condition language of rule packs: a small, typed subset of Python expression syntax.

Parsed with `ast` (never evaluated as Python) into a tree of frozen nodes, checked against the pack's
declared facts, and evaluated with three-valued logic: a missing fact is neither true nor false, so
`and`/`or`/`not` follow Kleene's rules and a comparison with a missing fact is unknown (None).
Arithmetic is exact (fractions), so `annual_output_t >= 1.10 * approved_capacity_t_per_year` holds at
the threshold itself, as 以上 requires.

Allowed: numbers, true/false, 'text'; fact names; + - * /; < <= > >= == != (chained too);
and, or, not; `x in ['a', 'b']`. Nothing else: no calls, attributes, subscripts or comprehensions.

`unit_mismatches` and `text_constants` are the checks `zhiben rules check` runs on a condition beyond its
types: the units of both sides of each `+`, `-` and comparison, and the text constants a fact is tested
against (see docs/rulepacks.md).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Union

FactType = Literal["number", "boolean", "text"]
Value = Fraction | bool | str | None
MAX_NODES = 200


class ExprError(ValueError):
    """A condition that cannot be accepted, with the column (1-based) where the problem is."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(f"{message} (at column {column})" if column else message)
        self.column = column


@dataclass(frozen=True)
class Const:
    value: Fraction | bool | str


@dataclass(frozen=True)
class Fact:
    name: str


@dataclass(frozen=True)
class Unary:
    op: Literal["not", "-"]
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    items: tuple[Node, ...]


@dataclass(frozen=True)
class In:
    item: Node
    options: tuple[Fraction | bool | str, ...]


Node = Union[Const, Fact, Unary, Binary, Compare, Logic, In]  # noqa: UP007 (a forward-referenced alias)

_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_KEYWORDS = {"true": True, "false": False}


def parse(text: str, facts: Mapping[str, FactType]) -> Node:
    """Parse and type-check a condition over the declared facts; it must be boolean."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error: {exc.msg}", exc.offset or 0) from exc
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExprError(f"the condition is too long (more than {MAX_NODES} parts)")
    node = _Builder(facts).build(tree.body)
    if type_of(node, facts) != "boolean":
        raise ExprError("a condition must be true or false, not a number or text")
    return node


class _Builder:
    def __init__(self, facts: Mapping[str, FactType]) -> None:
        self.facts = facts

    def build(self, node: ast.expr) -> Node:
        column = getattr(node, "col_offset", -1) + 1
        built = self._build(node, column)
        type_of(built, self.facts, column)  # raises on a type mismatch, naming the column
        return built

    def _build(self, node: ast.expr, column: int) -> Node:
        match node:
            case ast.Constant(value=bool() | int() | float() | str() as value):
                return Const(_constant(value, column))
            case ast.Name(id=name) if name in _KEYWORDS:
                return Const(_KEYWORDS[name])
            case ast.Name(id=name):
                if name not in self.facts:
                    raise ExprError(f"unknown fact {name!r}", column)
                return Fact(name)
            case ast.BoolOp(op=op, values=values):
                return Logic("and" if isinstance(op, ast.And) else "or", tuple(self.build(v) for v in values))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return Unary("not", self.build(operand))
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return Unary("-", self.build(operand))
            case ast.BinOp(op=op, left=left, right=right) if type(op) in _ARITH:
                return Binary(_ARITH[type(op)], self.build(left), self.build(right))  # type: ignore[arg-type]
            case ast.Compare(
                left=left, ops=[ast.In()], comparators=[ast.List(elts=elts) | ast.Tuple(elts=elts)]
            ):
                options = tuple(_constant(_literal(e), column) for e in elts)
                return In(self.build(left), options)
            case ast.Compare(left=left, ops=ops, comparators=comparators) if all(
                type(o) in _COMPARE for o in ops
            ):
                operands = [self.build(left), *(self.build(c) for c in comparators)]
                pairs = tuple(
                    Compare(_COMPARE[type(op)], a, b)  # type: ignore[arg-type]
                    for op, a, b in zip(ops, operands, operands[1:], strict=False)
                )
                return pairs[0] if len(pairs) == 1 else Logic("and", pairs)
        raise ExprError(f"not allowed in a condition: {type(node).__name__}", column)


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _KEYWORDS:
        return _KEYWORDS[node.id]
    raise ExprError("a list after `in` holds constants only", getattr(node, "col_offset", -1) + 1)


def _constant(value: Any, column: int) -> Fraction | bool | str:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return Fraction(str(value))  # 1.10 is exactly 11/10
    raise ExprError(f"not a constant: {value!r}", column)


def _kind(value: Fraction | bool | str) -> FactType:
    return "boolean" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"


def type_of(node: Node, facts: Mapping[str, FactType], column: int = 0) -> FactType:
    """The node's type; raises ExprError where operands do not fit their operator."""
    match node:
        case Const(value=value):
            return _kind(value)
        case Fact(name=name):
            return facts[name]
        case Unary(op="not", operand=operand):
            _expect(operand, "boolean", facts, column, "`not`")
            return "boolean"
        case Unary(operand=operand):
            _expect(operand, "number", facts, column, "`-`")
            return "number"
        case Binary(op=op, left=left, right=right):
            _expect(left, "number", facts, column, f"`{op}`")
            _expect(right, "number", facts, column, f"`{op}`")
            return "number"
        case Compare(op=op, left=left, right=right):
            left_type, right_type = type_of(left, facts, column), type_of(right, facts, column)
            if left_type != right_type:
                raise ExprError(f"`{op}` compares a {left_type} with a {right_type}", column)
            if op not in ("==", "!=") and left_type != "number":
                raise ExprError(f"`{op}` orders numbers only, not {left_type}", column)
            return "boolean"
        case Logic(op=op, items=items):
            for item in items:
                _expect(item, "boolean", facts, column, f"`{op}`")
            return "boolean"
        case In(item=item, options=options):
            item_type = type_of(item, facts, column)
            if any(_kind(option) != item_type for option in options):
                raise ExprError(f"`in` lists values of another type than the {item_type} it tests", column)
            return "boolean"
    raise ExprError(f"unknown node {node!r}")


def _expect(node: Node, wanted: FactType, facts: Mapping[str, FactType], column: int, where: str) -> None:
    found = type_of(node, facts, column)
    if found != wanted:
        raise ExprError(f"{where} needs a {wanted}, not a {found}", column)


def facts_in(node: Node) -> set[str]:
    match node:
        case Fact(name=name):
            return {name}
        case Unary(operand=operand):
            return facts_in(operand)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return facts_in(left) | facts_in(right)
        case Logic(items=items):
            return set().union(*(facts_in(item) for item in items))
        case In(item=item):
            return facts_in(item)
    return set()


def _fact_value(value: Any) -> Value:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"a fact value must be a finite number, not {value}")
        return Fraction(str(value))  # the decimal the user wrote, not the binary float near it
    raise TypeError(f"a fact value must be a number, boolean or text, not {type(value).__name__}")


def evaluate(node: Node, record: Mapping[str, Any]) -> Value:
    """The node's value for one record; None where it depends on a missing fact (or divides by zero)."""
    match node:
        case Const(value=value):
            return value
        case Fact(name=name):
            return _fact_value(record.get(name))
        case Unary(op="not", operand=operand):
            truth = evaluate(operand, record)
            return None if truth is None else not truth
        case Unary(operand=operand):
            number = evaluate(operand, record)
            return -number if isinstance(number, Fraction) else None
        case Binary(op=op, left=left, right=right):
            a, b = evaluate(left, record), evaluate(right, record)
            if not (isinstance(a, Fraction) and isinstance(b, Fraction)):
                return None
            return _arith(op, a, b)
        case Compare(op=op, left=left, right=right):
            a, b = evaluate(left, record), evaluate(right, record)
            return None if a is None or b is None else _compare(op, a, b)
        case Logic(op=op, items=items):
            return _logic(op, [evaluate(item, record) for item in items])
        case In(item=item, options=options):
            found = evaluate(item, record)
            return None if found is None else found in options
    raise ExprError(f"unknown node {node!r}")


def _arith(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    if op == "/":
        return None if b == 0 else a / b
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def _compare(op: str, a: Any, b: Any) -> bool:
    return bool(
        {
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
            "==": lambda: a == b,
            "!=": lambda: a != b,
        }[op]()
    )


def _logic(op: str, values: list[Value]) -> bool | None:
    decisive = op == "or"  # True decides an `or`, False decides an `and`
    if any(v is decisive for v in values):
        return decisive
    return None if any(v is None for v in values) else not decisive


# Units: each number fact declares one (`t`, `t/a`, `kN/m²`); a condition's sub-expressions get theirs
# from the facts they read. A unit is a product of symbols with integer powers, kept as sorted
# (symbol, power) pairs; `()` is dimensionless (a fact divided by a fact of the same unit). A constant
# has no unit of its own: it is a dimensionless scale factor and fits beside any unit.
Unit = tuple[tuple[str, int], ...]
DIMENSIONLESS: Unit = ()
_POWERS = {"²": 2, "³": 3}


def parse_unit(text: str) -> Unit:
    """`t/a` → t·a⁻¹, `kN/m²` → kN·m⁻², `m*m` → m²; everything after the first `/` is the denominator."""
    numerator, _, denominator = text.replace("(", "").replace(")", "").partition("/")
    powers: dict[str, int] = {}
    for part, sign in ((numerator, 1), (denominator, -1)):
        for factor in part.replace("·", "*").split("*"):
            symbol, power = _factor(factor.strip())
            if symbol and symbol != "1":
                powers[symbol] = powers.get(symbol, 0) + sign * power
    return _unit(powers)


def _factor(text: str) -> tuple[str, int]:
    if text[-1:] in _POWERS:
        return text[:-1], _POWERS[text[-1]]
    symbol, caret, power = text.partition("^")
    return (symbol, int(power)) if caret and power.lstrip("-").isdigit() else (text, 1)


def _unit(powers: Mapping[str, int]) -> Unit:
    return tuple(sorted((symbol, power) for symbol, power in powers.items() if power))


def format_unit(unit: Unit) -> str:
    """The unit written out: `t/a`, `m*m`, `kN/(m*m)`, or `dimensionless`."""
    if not unit:
        return "dimensionless"
    above = [s for s, p in unit for _ in range(p) if p > 0]
    below = [s for s, p in unit for _ in range(-p) if p < 0]
    top = "*".join(above) or "1"
    if not below:
        return top
    bottom = "*".join(below)
    return f"{top}/({bottom})" if len(below) > 1 else f"{top}/{bottom}"


def _combine(op: str, a: Unit, b: Unit) -> Unit:
    powers = dict(a)
    for symbol, power in b:
        powers[symbol] = powers.get(symbol, 0) + (power if op == "*" else -power)
    return _unit(powers)


@dataclass(frozen=True)
class UnitMismatch:
    """An operator whose two sides are quantities in different units (`t` against `t/a`)."""

    op: str
    left: Unit
    right: Unit

    def __str__(self) -> str:
        return f"`{self.op}` between {format_unit(self.left)} and {format_unit(self.right)}: the units differ"


def unit_mismatches(node: Node, units: Mapping[str, Unit]) -> list[UnitMismatch]:
    """Every `+`, `-` or comparison in the condition whose sides have different units.

    `units` maps each number fact to its unit; facts not in it (booleans, text) have none.
    """
    found: list[UnitMismatch] = []
    _unit_of(node, units, found)
    return found


def _unit_of(node: Node, units: Mapping[str, Unit], found: list[UnitMismatch]) -> Unit | None:
    """The node's unit; None for a constant (a scale factor) or a value that is not a quantity."""
    match node:
        case Fact(name=name):
            return units.get(name)
        case Unary(op="-", operand=operand):
            return _unit_of(operand, units, found)
        case Binary(op="*" | "/" as op, left=left, right=right):
            a, b = _unit_of(left, units, found), _unit_of(right, units, found)
            if a is None and b is None:
                return None
            return _combine(op, a or DIMENSIONLESS, b or DIMENSIONLESS)
        case Binary(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
            a, b = _unit_of(left, units, found), _unit_of(right, units, found)
            if a is not None and b is not None and a != b:
                found.append(UnitMismatch(op, a, b))
            return (a if a is not None else b) if isinstance(node, Binary) else None
        case Unary(operand=operand) | In(item=operand):
            _unit_of(operand, units, found)
        case Logic(items=items):
            for item in items:
                _unit_of(item, units, found)
    return None


def text_constants(node: Node) -> list[tuple[str, str, str]]:
    """(fact, operator, constant) for each text fact tested against a text constant with ==, != or `in`."""
    match node:
        case (
            Compare(op="==" | "!=" as op, left=Fact(name=name), right=Const(value=str() as value))
            | Compare(op="==" | "!=" as op, left=Const(value=str() as value), right=Fact(name=name))
        ):
            return [(name, op, value)]
        case In(item=Fact(name=name), options=options):
            return [(name, "in", value) for value in options if isinstance(value, str)]
        case Unary(operand=operand):
            return text_constants(operand)
        case Logic(items=items):
            return [found for item in items for found in text_constants(item)]
    return []
