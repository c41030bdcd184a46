"""The help desk's pages over HTTP, on both engines: an operator opens a ticket with a file and the OA's
context, staff answer with a 定型文 and an internal note the operator never sees, the operator rates; bad input
gets a 400 page and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from linemod.framework.support.records import SupportCannedReplyRow, SupportTicketRow
from linemod.framework.support.view_as_records import SupportStaffAccessRow
from tests.framework.helpers import BOT
from tests.framework.support.pages.conftest import Desk, add_subscription, location, post_files, ticket_id_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def open_ticket(desk: Desk, subject: str = "予約が表示されない", body: str = "昨日から予約一覧が空です。") -> int:
    page = await desk.owner.get("/console/support/new")
    assert page.status_code == 200 and ">Cafe Sakura</option>" in page.text
    answer = await post_files(
        desk.owner,
        "/console/support/new",
        {"bot_id": BOT, "type": "incident", "subject": subject, "body": body},
        [("files", ("画面.png", PNG, "image/png"))],
    )
    return ticket_id_in(location(answer))


async def test_a_ticket_from_opening_to_rating(desk: Desk) -> None:
    await add_subscription(desk.console.db, BOT, "standard", "past_due")
    form = await desk.owner.get("/console/support/new")
    assert 'data-testid="context-billing"><strong>standard</strong> · 支払い遅延' in form.text
    number = await open_ticket(desk)
    mine = await desk.owner.get("/console/support")
    assert "予約が表示されない" in mine.text and f"#{number}" in mine.text

    # staff see it in the queue with the OA's context, write a canned reply and an internal note
    queue = await desk.staff.get("/provider/support")
    assert queue.status_code == 200 and f'data-ticket-id="{number}"' in queue.text
    assert "<td>Cafe Sakura</td>" in queue.text  # the ticket's OA
    canned = await desk.staff.get("/provider/support/canned/new")
    assert canned.status_code == 200
    saved = await desk.staff.post(
        "/provider/support/canned/new",
        {"title": "お詫び", "body": "{{ oa_name }} 様\nお問い合わせ #{{ ticket_id }} を確認しています。"},
    )
    assert location(saved).startswith("/provider/support/canned")
    async with desk.console.db.session() as session:
        canned_id = await session.scalar(select(SupportCannedReplyRow.id))
    staff_page = await desk.staff.get(f"/provider/support/tickets/{number}?canned={canned_id}")
    assert staff_page.status_code == 200
    assert f"Cafe Sakura 様\nお問い合わせ #{number} を確認しています。" in staff_page.text
    assert 'data-testid="tenant-context"' in staff_page.text and "message:send" in staff_page.text
    assert "<strong>standard</strong> · 支払い遅延" in staff_page.text
    note = await desk.staff.post(f"/provider/support/tickets/{number}/note", {"body": "社内メモ: DBの遅延を調査"})
    location(note)
    reply = await desk.staff.post(
        f"/provider/support/tickets/{number}/reply", {"body": "Cafe Sakura 様、復旧しました。", "status": "solved"}
    )
    location(reply)

    # the operator sees the reply, never the note, downloads their file and rates the solved ticket
    thread = await desk.owner.get(f"/console/support/tickets/{number}")
    assert "復旧しました" in thread.text
    assert "社内メモ" not in thread.text and 'data-kind="internal"' not in thread.text
    assert 'data-status="solved"' in thread.text
    link = thread.text.split('data-testid="attachment"')[0].rsplit('href="', 1)[1].split('"')[0]
    file = await desk.owner.get(link)
    assert file.status_code == 200 and file.content == PNG
    assert file.headers["content-disposition"].startswith("attachment;")
    refused = await desk.owner.post(f"/console/support/tickets/{number}/rate", {"rating": "bad", "reason": " "})
    assert refused.status_code == 400 and 'data-testid="error"' in refused.text
    rated = await desk.owner.post(f"/console/support/tickets/{number}/rate", {"rating": "good"})
    location(rated)
    async with desk.console.db.session() as session:
        row = await session.get(SupportTicketRow, number)
        assert row is not None and row.csat_rating == "good"

    # the staff page shows the note, the audit log of every change, and the rating
    staff_page = await desk.staff.get(f"/provider/support/tickets/{number}")
    assert "社内メモ: DBの遅延を調査" in staff_page.text
    for action in ("created", "status", "csat"):
        assert f'data-action="{action}"' in staff_page.text
    staff_link = link.replace("/console/support/", "/provider/support/")
    assert (await desk.staff.get(staff_link)).content == PNG
    async with desk.console.db.session() as session:
        looks = list(await session.scalars(select(SupportStaffAccessRow.action).order_by(SupportStaffAccessRow.id)))
    assert looks[-1] == "file" and set(looks) == {"ticket", "file"}


async def test_staff_change_a_ticket_and_filter_the_queue(desk: Desk) -> None:
    number = await open_ticket(desk)
    await desk.staff.get(f"/provider/support/tickets/{number}")
    staff_id = (await desk.app.console.services().accounts.by_email("staff@provider.example")).id  # type: ignore[union-attr]
    changed = await desk.staff.post(
        f"/provider/support/tickets/{number}/update",
        {"status": "open", "priority": "urgent", "type": "billing", "assignee": str(staff_id), "tags": "請求, 至急"},
    )
    location(changed)
    async with desk.console.db.session() as session:
        row = await session.get(SupportTicketRow, number)
        assert row is not None
        assert (row.status, row.priority, row.type, row.assignee_id) == ("open", "urgent", "billing", staff_id)
    assert f'data-ticket-id="{number}"' in (await desk.staff.get("/provider/support?priority=urgent&tag=至急")).text
    assert f'data-ticket-id="{number}"' not in (await desk.staff.get("/provider/support?priority=low")).text
    assert f'data-ticket-id="{number}"' not in (await desk.staff.get("/provider/support?assignee=none")).text
    # an SLA target of an urgent ticket (60 business minutes to first response) breaches two hours later
    desk.clock.advance(2 * 3600 * 1000)
    await desk.console.sign_in(desk.staff, "staff@provider.example")  # console sessions are shorter than that
    breached = await desk.staff.get("/provider/support?sla=breached")
    assert f'data-ticket-id="{number}"' in breached.text
    assert 'data-testid="sla-warning"' in (await desk.staff.get(f"/provider/support/tickets/{number}")).text

    # staff open a ticket on behalf of a tenant: its operators see it among theirs; a made-up tenant is refused
    await desk.staff.get("/provider/support/new")
    fields = {"requester": "owner@cafe.example", "type": "billing", "priority": "high", "subject": "電話でのご相談"}
    made_up = await desk.staff.post("/provider/support/new", {**fields, "bot_id": "U" + "9" * 32, "body": "請求書"})
    assert made_up.status_code == 400
    created = await desk.staff.post("/provider/support/new", {**fields, "bot_id": BOT, "body": "請求書の宛名変更"})
    on_behalf = ticket_id_in(location(created))
    await desk.console.sign_in(desk.owner, "owner@cafe.example")
    await desk.console.sign_in(desk.rival, "owner@ramen.example")
    assert "電話でのご相談" in (await desk.owner.get("/console/support")).text
    assert "請求書の宛名変更" in (await desk.owner.get(f"/console/support/tickets/{on_behalf}")).text
    assert (await desk.rival.get(f"/console/support/tickets/{on_behalf}")).status_code == 404

    # the pages are in English too
    await desk.staff.get("/console/lang/en?next=/provider/support")
    english = await desk.staff.get("/provider/support")
    assert "Support queue" in english.text and "サポートキュー" not in english.text


async def test_bad_input_gets_a_400_page_and_changes_nothing(desk: Desk) -> None:
    number = await open_ticket(desk)
    assert (await desk.staff.get("/provider/support?status=exploded")).status_code == 400
    assert (await desk.staff.get("/provider/support?sort=random")).status_code == 400
    for bad in ("abc", "0", "99999999999999999999999"):
        assert (await desk.owner.get(f"/console/support/tickets/{bad}")).status_code == 404
        assert (await desk.staff.get(f"/provider/support/tickets/{bad}")).status_code == 404
    await desk.staff.get(f"/provider/support/tickets/{number}")
    bad_status = await desk.staff.post(
        f"/provider/support/tickets/{number}/update",
        {"status": "exploded", "priority": "normal", "type": "question", "assignee": "", "tags": ""},
    )
    assert bad_status.status_code == 400
    await desk.owner.get("/console/support/new")
    empty = await desk.owner.post(
        "/console/support/new", {"bot_id": BOT, "type": "question", "subject": "", "body": "x"}
    )
    assert empty.status_code == 400
    too_big = await post_files(
        desk.owner,
        "/console/support/new",
        {"bot_id": BOT, "type": "question", "subject": "ファイル", "body": "添付します"},
        [("files", ("page.html", b"<script>alert(1)</script>", "text/html"))],
    )
    assert too_big.status_code == 400 and "page.html" in too_big.text
    await desk.staff.get("/provider/support/canned/new")
    unknown = await desk.staff.post("/provider/support/canned/new", {"title": "t", "body": "{{ opertor_name }}"})
    assert unknown.status_code == 400 and "opertor_name" in unknown.text
    async with desk.console.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SupportTicketRow)) == 1
        assert await session.scalar(select(func.count()).select_from(SupportCannedReplyRow)) == 0
        row = await session.get(SupportTicketRow, number)
        assert row is not None and row.status == "new"
