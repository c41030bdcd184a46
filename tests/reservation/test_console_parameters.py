"""Console addresses no page can use, typed or fuzzed into the reservation pages' dates and IDs: a date out of
range or malformed is a 400 page saying how to write one (Japanese by default, English on request), an ID
no row can have is "no such reservation" as for any missing one; never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import inspect
import re

import pytest

from linemod_reservation import create_app
from linemod_reservation.console import pages_reservations, pages_shop
from tests.framework.helpers import make_settings
from tests.reservation.world import Operator, World, open_day

# Every reservation page reading a date from its query, and the parameter.
DATE_PARAMETERS = [
    ("/reservations", "day"),
    ("/reservations/week", "start"),
    ("/reservations/export.csv", "from"),
    ("/reservations/export.csv", "to"),
    ("/reservations/new", "day"),
]
# Every reservation page taking a reservation ID in its path.
ID_PAGES = [("GET", "/reservations/{rid}"), ("POST", "/reservations/{rid}"), ("POST", "/reservations/{rid}/cancel")]

BAD_DAYS = [
    "9999-12-31",  # the day view's next day overflowed
    "0001-01-01",  # its previous day did
    "3000-01-01",
    "1899-12-31",
    "2026-02-30",
    "2026-13-01",
    "2026-4-1",
    "20260401",
    "2026-W14-2",
    "１９９０-０１-０１",
    "tomorrow",
    "<b>2026</b>",
]
BAD_IDS = [
    "99999999999999999999",  # 20 digits: past bigint
    "9223372036854775808",  # 2**63
    "9223372036854775807",  # the largest bigint: a valid ID that no reservation has
    "0",
    "-1",
    "１２",
    "²",
    "1e3",
]
JA_BAD_DAY = (
    "は、このページで表示できる日付ではありません。"
    "日付は YYYY-MM-DD の形式で、1900-01-01 から 2999-12-31 までを指定してください。"
)
EN_BAD_DAY = "is not a date this page can show. Write a date as YYYY-MM-DD, from 1900-01-01 to 2999-12-31."


def test_the_tables_above_name_every_page_with_a_date_or_an_id() -> None:
    pages = {(method, page.path) for page in create_app(make_settings()).console.pages
             for method in page.methods}
    assert {(method, path) for method, path in pages if "{rid}" in path} == set(ID_PAGES)
    other = {path for _, path in pages if "{" in path and "{rid}" not in path}
    assert other == {"/customers/{uid}/handover", "/customers/{uid}/takeback"}  # LINE user IDs: strings
    source = inspect.getsource(pages_reservations) + inspect.getsource(pages_shop)
    assert set(re.findall(r'cx\.query_day\("(\w+)"', source)) == {name for _, name in DATE_PARAMETERS}
    assert re.findall(r'query_params\.get\("(\w+)"', source) == ["start"]  # a time, shown back in the form


def english(operator: Operator) -> None:
    assert operator.get("/console/lang/en").status_code == 200


def test_every_date_parameter_refuses_a_date_out_of_range_or_malformed_with_a_400_page(world: World) -> None:
    operator = Operator(world).sign_in()
    for path, name in DATE_PARAMETERS:
        for value in BAD_DAYS:
            answer = operator.get(operator.oa(path), params={name: value})
            assert answer.status_code == 400, (path, name, value, answer.status_code, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html")
            assert f"「{html.escape(value)}」{JA_BAD_DAY}" in answer.text, (path, value, answer.text[:2000])
            assert "<b>" not in answer.text
        fine = operator.get(operator.oa(path), params={name: open_day().isoformat()})
        assert fine.status_code == 200, (path, name, fine.text[:300])
        empty = operator.get(operator.oa(path), params={name: ""})  # an empty date field: the page's default
        assert empty.status_code == 200, (path, name, empty.text[:300])
    for edge in ("1900-01-01", "2999-12-31"):
        for path, name in DATE_PARAMETERS:
            assert operator.get(operator.oa(path), params={name: edge}).status_code == 200, (path, edge)


def test_the_bad_date_page_speaks_english_when_asked(world: World) -> None:
    operator = Operator(world).sign_in()
    english(operator)
    answer = operator.get(operator.oa("/reservations"), params={"day": "9999-12-31"})
    assert answer.status_code == 400
    assert "This page cannot be shown" in answer.text and f"“9999-12-31” {EN_BAD_DAY}" in answer.text


def test_every_reservation_id_no_row_can_have_is_no_such_reservation(world: World) -> None:
    operator = Operator(world).sign_in()
    for method, template in ID_PAGES:
        for rid in BAD_IDS:
            path = operator.oa(template.format(rid=rid))
            answer = operator.get(path) if method == "GET" else operator.post(path, {"day": "2026-01-01"})
            assert answer.status_code == 200, (method, template, rid, answer.status_code, answer.text[:300])
            assert str(answer.url).split("?")[0].endswith(operator.oa("/reservations")), answer.url
            assert "該当する予約がありません。" in answer.text, (method, template, rid)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_a_phone_booking_on_a_day_out_of_range_is_refused_in_the_form(world: World, day: str) -> None:
    operator = Operator(world).sign_in()
    operator.get(operator.oa("/reservations/new"))
    answer = operator.post(
        operator.oa("/reservations/new"),
        {"user_id": "", "day": day, "start": "23:30", "party": "2", "name": "電話のお客様"},
    )
    assert answer.status_code == 400, answer.text[:300]
    assert "日付を選んでください。" in answer.text


def test_htmx_gets_a_bad_date_refused_by_its_status_alone(world: World) -> None:
    operator = Operator(world).sign_in()
    answer = operator.http.get(operator.oa("/reservations"), params={"day": "9999-12-31"},
                               headers={"HX-Request": "true"})
    assert (answer.status_code, answer.content) == (400, b"")
    assert operator.get(operator.oa("/reservations")).status_code == 200
