"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation type (1), division code (6),
organisation code (9) and a check character (1). The alphabet omits I, O, Z, S and V.
The check digit is C18 = 31 - (Σ Ci·Wi mod 31), with 31 written as 0.
python-stdnum rejects codes whose first character is a letter (A, N, Y), which GB 32100 allows,
so the check is written here.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class UsccError(ValueError):
    """The code is not a valid USCC; `reason` is a stable machine word."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def normalise(code: str) -> str:
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code or raise UsccError saying why it is not valid."""
    value = normalise(code)
    if len(value) != 18:
        raise UsccError("length", f"a USCC has 18 characters, this one has {len(value)}")
    bad = [ch for ch in value if ch not in _VALUE]
    if bad:
        raise UsccError(
            "character", f"character {bad[0]!r} is not allowed in a USCC (I, O, Z, S, V never are)"
        )
    if not value[2:8].isdigit():
        raise UsccError("division", "characters 3-8 must be the 6-digit division code")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise UsccError("check_digit", f"the check character should be {expected}, not {value[17]}")
    return value


def make(first17: str) -> str:
    """Append the check character to 17 characters (used to build demo and test codes)."""
    return first17 + check_character(first17)
