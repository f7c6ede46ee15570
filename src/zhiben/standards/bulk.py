"""The same conditions over a whole table at once: each condition compiles to one polars expression.

Polars' boolean operators follow the same three-valued (Kleene) logic as `expr.evaluate`, and a
comparison with a null is null, so a missing fact means the same thing in both. Numbers are exact
decimals (38 digits, 9 after the point) rather than floats, so a record exactly at a threshold lands on
the same side as in the per-record engine; constant arithmetic is folded exactly before compiling.
The one approximation: a fact divided by a fact is rounded at the 9th decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import reduce

import polars as pl

from zhiben.standards.engine import applicable
from zhiben.standards.expr import Binary, Compare, Const, Fact, FactType, In, Logic, Node, Unary
from zhiben.standards.pack import RulePack

SCALE = 9
NUMBER = pl.Decimal(38, SCALE)


def _decimal(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-SCALE))


def _literal(value: Fraction | bool | str) -> pl.Expr:
    if isinstance(value, Fraction):
        return pl.lit(_decimal(value), dtype=NUMBER)
    return pl.lit(value)


def _fold(node: Node) -> Node:
    """Constant arithmetic computed once, exactly (2 / 5 * x becomes 0.4 * x)."""
    if isinstance(node, Binary):
        left, right = _fold(node.left), _fold(node.right)
        if isinstance(left, Const) and isinstance(right, Const):
            a, b = left.value, right.value
            assert isinstance(a, Fraction) and isinstance(b, Fraction)
            if node.op == "/":
                if b != 0:
                    return Const(a / b)
            else:
                return Const({"+": a + b, "-": a - b, "*": a * b}[node.op])
        return Binary(node.op, left, right)
    return node


def compile_node(node: Node) -> pl.Expr:
    match _fold(node):
        case Const(value=value):
            return _literal(value)
        case Fact(name=name):
            return pl.col(name)
        case Unary(op="not", operand=operand):
            return ~compile_node(operand)
        case Unary(operand=operand):
            return -compile_node(operand)
        case Binary(op=op, left=left, right=right):
            a, b = compile_node(left), compile_node(right)
            if op == "/":
                return pl.when(b == 0).then(None).otherwise(a / b)
            return {"+": a + b, "-": a - b, "*": a * b}[op]
        case Compare(op=op, left=left, right=right):
            a, b = compile_node(left), compile_node(right)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
        case Logic(op=op, items=items):
            parts = [compile_node(item) for item in items]
            return reduce(lambda x, y: (x & y) if op == "and" else (x | y), parts)
        case In(item=item, options=options):
            values = [_decimal(o) if isinstance(o, Fraction) else o for o in options]
            dtype = NUMBER if values and isinstance(values[0], Decimal) else None
            return compile_node(item).is_in(pl.lit(pl.Series(values, dtype=dtype)).implode())
    raise ValueError(f"cannot compile {node!r}")


def prepare(frame: pl.DataFrame, facts: Mapping[str, FactType]) -> pl.DataFrame:
    """Give every declared fact a column of its type: numbers as exact decimals, absent facts as nulls."""
    dtypes: dict[FactType, pl.DataType] = {"number": NUMBER, "boolean": pl.Boolean(), "text": pl.String()}
    return frame.with_columns(
        (
            pl.col(name).cast(dtypes[kind]) if name in frame.columns else pl.lit(None, dtype=dtypes[kind])
        ).alias(name)
        for name, kind in facts.items()
    )


def clause_columns(pack: RulePack) -> list[pl.Expr]:
    return [compile_node(c.condition).alias(f"{pack.id}/{c.spec.id}") for c in pack.clauses]


def determine_table(
    packs: Iterable[RulePack], sector: str, frame: pl.DataFrame, on: date, *, drafts: bool = False
) -> pl.DataFrame:
    """One boolean column per applicable clause, named `<pack>/<clause>`: true met, false not, null unknown."""
    chosen = applicable(packs, sector, on, drafts=drafts)
    facts: dict[str, FactType] = {}
    for pack in chosen:
        facts |= {name: spec.type for name, spec in pack.spec.facts.items()}
    prepared = prepare(frame, facts)
    return prepared.lazy().select([expr for pack in chosen for expr in clause_columns(pack)]).collect()
