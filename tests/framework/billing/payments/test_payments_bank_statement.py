"""Reading bank statement CSVs, normalising payer names, payer references' check digit, and the matching rules
on their own (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from linemod.framework.billing.payments.bank_statement import (
    StatementFormatError,
    parse_date,
    parse_statement,
    parse_yen,
)
from linemod.framework.billing.payments.payer_names import normalize
from linemod.framework.billing.payments.payer_reference import (
    is_valid_reference,
    reference_for_serial,
    references_in,
)
from linemod.framework.billing.payments.statement_matching import (
    Matched,
    OpenInvoice,
    Queued,
    QueueReason,
    match_credit,
)

# A typical download: Shift_JIS, the account first, credits and debits in two columns, a total at the end.
SHIFT_JIS_EXPORT = """口座番号,普通 1234567
照会期間,2026/10/01～2026/10/31
取引日,摘要,入金金額,出金金額,残高,振込依頼人名
2026/10/30,振込,"33,000",,"133,000",ｶ)ｻｸﾗｶﾌｪ
2026/10/30,振込,"3,300",,"136,300",ﾔﾏﾀﾞ ﾀﾛｳ
2026/10/31,振込手数料,,440,"135,860",
2026/10/31,振込,"3,300",,"139,160",ﾔﾏﾀﾞ ﾀﾛｳ
合計,,"39,600",440,,
""".encode("cp932")


def test_a_shift_jis_export_yields_its_credits_with_stable_hashes() -> None:
    parsed = parse_statement(SHIFT_JIS_EXPORT)

    assert [(c.row_number, c.value_date, c.amount_yen, c.payer_name, c.balance_yen) for c in parsed.credits] == [
        (4, date(2026, 10, 30), 33000, "ｶ)ｻｸﾗｶﾌｪ", 133000),
        (5, date(2026, 10, 30), 3300, "ﾔﾏﾀﾞ ﾀﾛｳ", 136300),
        (7, date(2026, 10, 31), 3300, "ﾔﾏﾀﾞ ﾀﾛｳ", 139160),
    ]
    assert [row for row, _ in parsed.skipped_rows] == [8]  # the total
    assert parse_statement(SHIFT_JIS_EXPORT).credits == parsed.credits  # same file, same hashes
    assert len({c.line_hash for c in parsed.credits}) == 3


def test_two_equal_transfers_on_one_day_are_two_credits_and_the_same_in_full_width() -> None:
    row = "2026-11-02,振込,5500,,{name}\n"
    header = "日付,区分,入金額,出金額,振込依頼人名\n"
    half = parse_statement((header + row.format(name="ｽｽﾞｷ") * 2).encode())
    full = parse_statement(("\ufeff" + header + row.format(name="スズキ") * 2).encode())

    assert len({c.line_hash for c in half.credits}) == 2
    assert [c.line_hash for c in half.credits] == [c.line_hash for c in full.credits]


def test_an_export_with_one_amount_column_and_a_kind_column_keeps_the_credits() -> None:
    data = "年月日,入出金区分,金額,お取引内容\nR8.11.4,入金,￥１２，１００,ﾀﾅｶ ｼﾞﾛｳ\nR8.11.5,出金,500,カード\n"
    [credit] = parse_statement(data.encode()).credits
    assert (credit.value_date, credit.amount_yen, credit.payer_name) == (date(2026, 11, 4), 12100, "ﾀﾅｶ ｼﾞﾛｳ")


def test_a_file_without_a_recognisable_header_is_refused() -> None:
    with pytest.raises(StatementFormatError):
        parse_statement(b"a,b,c\n1,2,3\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026/10/31", date(2026, 10, 31)), ("2026-1-5", date(2026, 1, 5)), ("2026年10月31日", date(2026, 10, 31)),
     ("20261031", date(2026, 10, 31)), ("令和8年10月31日", date(2026, 10, 31)), ("R8.10.31", date(2026, 10, 31)),
     ("令和元年5月1日", date(2019, 5, 1)), ("H31.4.30", date(2019, 4, 30)),
     ("２０２６／１０／３１", date(2026, 10, 31))],
)
def test_dates_as_banks_write_them(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("3,300", 3300), ("￥3,300", 3300), ("３３００円", 3300),
                                                ("-500", -500), ("△500", -500), ("", None)])
def test_amounts_as_banks_write_them(text: str, expected: int | None) -> None:
    assert parse_yen(text) == expected


@pytest.mark.parametrize(
    ("written", "normalized"),
    [("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"), ("ヤマダ　タロウ", "ヤマダタロウ"), ("やまだ たろう", "ヤマダタロウ"),
     ("ｶ)ｻｸﾗｶﾌｪ", "サクラカフエ"), ("(ｶ)ｻｸﾗ ｶﾌｴ", "サクラカフエ"), ("サクラカフェ（カ", "サクラカフエ"),
     ("株式会社さくらカフェ", "サクラカフエ"), ("ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗｶﾌｪ", "サクラカフエ"), ("ﾔﾏﾀﾞｼﾖｳﾃﾝ", "ヤマダシヨウテン"),
     ("ヤマダショウテン", "ヤマダシヨウテン"), ("ＡＢＣ　ﾄﾚｰﾃﾞｨﾝｸﾞ", "ABCトレデイング")],
)
def test_payer_names_in_half_width_full_width_and_hiragana_compare_equal(written: str, normalized: str) -> None:
    assert normalize(written) == normalized


def test_a_payer_reference_catches_every_mistyped_digit_and_every_swap_of_neighbours() -> None:
    for serial in (1, 2, 3, 1234, 9_999_999):
        reference = reference_for_serial(serial)
        assert is_valid_reference(reference) and len(reference) == 8
        for position in range(8):
            for digit in "0123456789":
                typo = reference[:position] + digit + reference[position + 1:]
                assert is_valid_reference(typo) == (typo == reference)
            if position < 7 and reference[position] != reference[position + 1]:
                digits = list(reference)
                digits[position], digits[position + 1] = digits[position + 1], digits[position]
                assert not is_valid_reference("".join(digits))


def test_consecutive_invoices_get_unrelated_unique_references() -> None:
    references = [reference_for_serial(serial) for serial in range(1, 20_001)]
    assert len(set(references)) == len(references)
    assert references_in(normalize(f"{references[0]} ｶ)ｻｸﾗｶﾌｪ")) == [references[0]]


SAKURA = OpenInvoice("inv_a", "2026-0001", 33000, "88888885", "株式会社さくらカフェ", payer_kana="ｶ)ｻｸﾗｶﾌｪ")
YAMADA = OpenInvoice("inv_b", "2026-0002", 3300, None, "ヤマダ　タロウ")


@pytest.mark.parametrize(
    ("amount", "name", "decision"),
    [
        (33000, "88888885ｻｸﾗｶﾌｪ", Matched("inv_a", "reference")),
        (33000, "ｶ)ｻｸﾗｶﾌｪ", Matched("inv_a", "name")),
        (3300, "ﾔﾏﾀﾞ ﾀﾛｳ", Matched("inv_b", "name")),
        (34000, "88888885", Queued(QueueReason.OVERPAYMENT, ("inv_a",))),
        (32560, "ｶ)ｻｸﾗｶﾌｪ", Queued(QueueReason.UNDERPAYMENT, ("inv_a",))),
        (3300, "65432092 ﾔﾏﾀﾞ", Queued(QueueReason.UNKNOWN_REFERENCE)),
        (3300, "ﾀﾅｶ", Queued(QueueReason.NO_MATCH, ("inv_b",))),
    ],
)
def test_matching_rules(amount: int, name: str, decision: Matched | Queued) -> None:
    assert match_credit(amount, name, [SAKURA, YAMADA]) == decision
