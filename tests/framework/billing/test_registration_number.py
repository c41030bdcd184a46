"""The issuer's registration number: `T` and 13 digits, the first a check digit of the corporate number."""

from __future__ import annotations

import pytest

from linemod.framework.billing.invoicing.registration_number import (
    corporate_check_digit,
    is_valid_registration_number,
    normalize_registration_number,
    registration_number_problem,
)

# Real corporate numbers, their check digits verified by computing them: 国税庁 (the NTA itself) and
# 日本税理士会連合会; then the worked example of the NTA's own check-digit explanation.
REAL = ["T7000012050002", "T7010705000725", "T7123456789012"]


@pytest.mark.parametrize("number", REAL)
def test_known_corporate_numbers_are_valid(number: str) -> None:
    assert is_valid_registration_number(number)
    assert corporate_check_digit(number[2:]) == int(number[1])


def test_the_check_digit_follows_the_ministry_ordinance_formula() -> None:
    # 9 − (Σ Pn × Qn mod 9), n counted from the lowest digit, Q = 1 for odd n and 2 for even n.
    # 000012050002: 2×1 + 0×2 + 0×1 + 0×2 + 5×1 + 0×2 + 2×1 + 1×2 + 0 … = 11; 11 mod 9 = 2; 9 − 2 = 7.
    assert corporate_check_digit("000012050002") == 7
    assert corporate_check_digit("000000000000") == 9  # never 0: a leading 0 is never valid
    assert corporate_check_digit("000000000009") == 9  # 9 mod 9 = 0 too: 0 and 9 are not told apart


@pytest.mark.parametrize("number", REAL)
def test_every_single_mistyped_digit_is_caught_except_0_and_9(number: str) -> None:
    for position in range(1, 14):
        for digit in "0123456789":
            original = number[position]
            if digit == original or {digit, original} == {"0", "9"}:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            assert not is_valid_registration_number(typo), typo


@pytest.mark.parametrize(
    "number",
    ["7000012050002", "T700001205000", "T70000120500021", "t7000012050002", "T 7000012050002", "TX000012050002"],
)
def test_anything_but_T_and_13_digits_is_refused(number: str) -> None:
    problem = registration_number_problem(number)
    assert problem is not None and "'T' followed by 13 digits" in problem


def test_a_wrong_check_digit_says_which_digit_would_fit() -> None:
    assert registration_number_problem("T1000012050002") == (
        "'T1000012050002' fails the corporate number check digit: its last 12 digits call for 7 first"
    )


def test_sole_proprietors_numbers_are_checked_for_their_form_only() -> None:
    # Their 13 digits are assigned by the NTA outside the corporate numbers; no published check digit.
    assert is_valid_registration_number("T1000012050002", sole_proprietor=True)
    assert not is_valid_registration_number("T100001205000", sole_proprietor=True)


def test_typed_forms_normalize_to_the_canonical_one() -> None:
    assert normalize_registration_number("ｔ７０００－０１２０－５０００２") == "T7000012050002"
    assert normalize_registration_number("T 7000 0120 50002") == "T7000012050002"
