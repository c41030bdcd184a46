"""Payer references: the 8-digit code a payer writes before their name on a bank transfer (振込依頼人名), so a
credit on the statement names its invoice.

Seven digits from the reference's serial number, then a check digit (Damm's algorithm: it catches every
single mistyped digit and every swap of two neighbouring digits, the two mistakes people make copying a
number). The serial is scrambled by a fixed permutation of the seven-digit numbers, so consecutive invoices
get unrelated codes and a typo rarely lands on another real invoice (the check digit catches it anyway).
Unique by construction up to ten million references.
"""

from __future__ import annotations

import re

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
SERIAL_DIGITS = 7
_MODULUS = 10**SERIAL_DIGITS
# Odd and not a multiple of 5, so coprime with 10^7: serial -> serial * _SCRAMBLE + _OFFSET is a bijection.
_SCRAMBLE = 7_654_321
_OFFSET = 1_234_567
_REFERENCE = re.compile(rf"(?<!\d)\d{{{SERIAL_DIGITS + 1}}}(?!\d)")


def damm_check_digit(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def reference_for_serial(serial: int) -> str:
    """The reference of the `serial`-th reference (1, 2, ...)."""
    if not 0 < serial < _MODULUS:
        raise ValueError(f"payer references run out after {_MODULUS - 1} invoices")
    body = f"{(serial * _SCRAMBLE + _OFFSET) % _MODULUS:0{SERIAL_DIGITS}d}"
    return f"{body}{damm_check_digit(body)}"


def is_valid_reference(text: str) -> bool:
    return len(text) == SERIAL_DIGITS + 1 and text.isascii() and text.isdigit() and damm_check_digit(text) == 0


def references_in(text: str) -> list[str]:
    """The valid references written in a payer name (already NFKC-normalised: full-width digits are ASCII)."""
    return [found for found in _REFERENCE.findall(text) if is_valid_reference(found)]
