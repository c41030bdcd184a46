"""Qualified invoice issuer registration numbers (適格請求書発行事業者登録番号): `T` and 13 digits.

For a corporation the 13 digits are its corporate number (法人番号), whose first digit is a check digit
over the other 12 (法人番号の指定等に関する省令 第2条): 9 − (Σ Pₙ × Qₙ mod 9), where Pₙ is the n-th of the
12 digits counted from the lowest and Qₙ is 1 for odd n and 2 for even n. So a check digit is 1..9, and
a number starting with 0 is never valid.

Sole proprietors and other non-corporate issuers get 13 digits that the NTA assigns from a range that
never collides with corporate numbers (not their My Number). The NTA does not publish whether those carry
the same check digit, so for them (`sole_proprietor=True`) only the form is checked; everyone else is
held to the corporate check digit, which catches every single mistyped digit except 0 ↔ 9.
"""

from __future__ import annotations

import re
import unicodedata

_FORM = re.compile(r"T\d{13}")


def corporate_check_digit(base: str) -> int:
    """The check digit of a 12-digit corporate base number (会社法人等番号)."""
    if len(base) != 12 or not base.isascii() or not base.isdigit():
        raise ValueError("a corporate base number has 12 digits")
    weighted = sum(int(digit) * (1 if n % 2 == 1 else 2) for n, digit in enumerate(reversed(base), start=1))
    return 9 - weighted % 9


def normalize_registration_number(value: str) -> str:
    """Full-width characters, spaces and hyphens as people type them, reduced to `T` + 13 digits."""
    folded = unicodedata.normalize("NFKC", value).upper()
    return re.sub(r"[\s\-‐－ー]", "", folded)


def registration_number_problem(value: str, *, sole_proprietor: bool = False) -> str | None:
    """What is wrong with a registration number as given (not normalized), or None when it is valid."""
    if not _FORM.fullmatch(value):
        return f"{value!r} is not a registration number: it is 'T' followed by 13 digits"
    digits = value[1:]
    if sole_proprietor:
        return None
    expected = corporate_check_digit(digits[1:])
    if int(digits[0]) != expected:
        return f"{value!r} fails the corporate number check digit: its last 12 digits call for {expected} first"
    return None


def is_valid_registration_number(value: str, *, sole_proprietor: bool = False) -> bool:
    return registration_number_problem(value, sole_proprietor=sole_proprietor) is None
