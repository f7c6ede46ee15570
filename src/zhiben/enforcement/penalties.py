"""Fine ranges of the Work Safety Law (安全生产法, 2021) and the check that an amount lies inside one.

Pure: the ranges are data in `data/penalties_wsl2021.csv` (each row cites its source), and the meaning of the
boundary words 以上/以下 is data in `data/penalty_boundary_words.csv` (both include the number, per Civil Code
Art 1259 and Criminal Law Art 99; the Work Safety Law defines no other convention). A range with no lower
bound ("五万元以下") still requires an amount above zero.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files

from zhiben.errors import InvalidInputError

_DATA = files("zhiben.enforcement") / "data"


@dataclass(frozen=True)
class FineBound:
    yuan: Decimal
    word: str  # 以上 / 以下 as the law writes it
    is_inclusive: bool


@dataclass(frozen=True)
class PenaltyProvision:
    """One fine range of one article for one kind of party in one case."""

    provision_id: str
    law: str
    article: int
    items: str
    party: str  # "unit" (生产经营单位) or "responsible_person" (直接负责的主管人员和其他直接责任人员)
    case: str
    case_zh: str
    minimum: FineBound | None
    maximum: FineBound
    citation: str
    verification: str

    @property
    def article_zh(self) -> str:
        """`《中华人民共和国安全生产法》第一百零二条` style citation of the article (with items if any)."""
        return f"《中华人民共和国安全生产法》第{chinese_number(self.article)}条{self.items}"

    @property
    def range_zh(self) -> str:
        high = f"{_yuan_zh(self.maximum.yuan)}{self.maximum.word}"
        if self.minimum is None:
            return f"{high}的罚款"
        return f"{_yuan_zh(self.minimum.yuan)}{self.minimum.word}{high}的罚款"

    def contains(self, amount_yuan: Decimal) -> bool:
        if amount_yuan <= 0:
            return False
        low, high = self.minimum, self.maximum
        if low is not None and (amount_yuan < low.yuan or (amount_yuan == low.yuan and not low.is_inclusive)):
            return False
        return amount_yuan < high.yuan or (amount_yuan == high.yuan and high.is_inclusive)


@cache
def boundary_words() -> dict[str, bool]:
    """Boundary word → whether it includes the number itself."""
    with (_DATA / "penalty_boundary_words.csv").open(encoding="utf-8") as handle:
        return {row["word"]: row["includes_number"] == "true" for row in csv.DictReader(handle)}


@cache
def penalty_provisions() -> dict[str, PenaltyProvision]:
    """Every provision in the table, by id."""
    words = boundary_words()

    def bound(yuan: str, word: str) -> FineBound | None:
        return FineBound(Decimal(yuan), word, words[word]) if yuan else None

    provisions: dict[str, PenaltyProvision] = {}
    with (_DATA / "penalties_wsl2021.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            maximum = bound(row["max_yuan"], row["max_word"])
            assert maximum is not None, row["provision_id"]
            provisions[row["provision_id"]] = PenaltyProvision(
                provision_id=row["provision_id"],
                law=row["law"],
                article=int(row["article"]),
                items=row["items"],
                party=row["party"],
                case=row["case"],
                case_zh=row["case_zh"],
                minimum=bound(row["min_yuan"], row["min_word"]),
                maximum=maximum,
                citation=row["citation"],
                verification=row["verification"],
            )
    return provisions


def check_fine(provision_id: str, amount_yuan: Decimal | int | str) -> PenaltyProvision:
    """The provision, if the amount lies inside its range; otherwise InvalidInputError naming article and range."""
    provision = penalty_provisions().get(provision_id)
    if provision is None:
        raise InvalidInputError(
            "provision_id",
            "unknown_provision",
            f"没有处罚条款 {provision_id!r}（可选：{', '.join(sorted(penalty_provisions()))}）",
        )
    try:
        amount = Decimal(amount_yuan)
    except InvalidOperation:
        raise InvalidInputError("amount_yuan", "not_a_number", f"罚款金额 {amount_yuan!r} 不是数字") from None
    if not amount.is_finite() or not provision.contains(amount):
        raise InvalidInputError(
            "amount_yuan",
            "out_of_range",
            f"罚款 {amount} 元超出{provision.article_zh}规定的范围：{provision.range_zh}",
            article=provision.article,
            provision_id=provision_id,
            minimum_yuan=str(provision.minimum.yuan) if provision.minimum else None,
            maximum_yuan=str(provision.maximum.yuan),
        )
    return provision


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 102 → 一百零二, 114 → 一百一十四 (0 < n < 1000, as article numbers are)."""
    if not 0 < n < 1000:
        raise ValueError(f"article number out of range: {n}")
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    text = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += "十" if tens == 1 and not hundreds else f"{_DIGITS[tens]}十"
    elif hundreds and ones:
        text += "零"
    return text + (_DIGITS[ones] if ones else "")


def _yuan_zh(yuan: Decimal) -> str:
    """50000 → 五万元 and 1000000 → 一百万元 in the law's wording; other amounts in digits."""
    whole = int(yuan)
    if whole == yuan and whole % 10000 == 0 and 0 < whole // 10000 < 10000:
        wan = whole // 10000
        return f"{chinese_number(wan) if wan < 1000 else _thousands_zh(wan)}万元"
    return f"{yuan}元"


def _thousands_zh(n: int) -> str:
    rest = n % 1000
    tail = "" if not rest else ("零" if rest < 100 else "") + chinese_number(rest)
    return f"{_DIGITS[n // 1000]}千{tail}"
