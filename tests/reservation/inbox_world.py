"""What the inbox tests share: an OA's customer who asked for a person, the operator's inbox pages, the
emulator's request log, and the inbox's rows."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time
from typing import Any

from PIL import Image
from sqlalchemy import select

from linemod.framework.support.inbox.records import InboxEntryRow, InboxInquiryRow, InboxMediaRow
from tests.reservation.world import Operator, Person, World

INQUIRY_ROW = re.compile(r'data-testid="inquiry" data-id="(\d+)"')
ROUTE = re.compile(r'data-testid="route" data-via="(reply|push)"')


def png(color: str = "#e8572a") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="PNG")
    return out.getvalue()


async def ask_for_a_person(world: World, person: Person) -> int:
    """The customer adds the OA and taps お問い合わせ; the inquiry's ID."""
    person.follow()
    [answer] = person.tap_menu(2)
    assert answer["text"] == "担当者におつなぎします。このままメッセージをお送りください。"
    await world.settled()
    return await open_inquiry_of(world, person.line_id)


async def open_inquiry_of(world: World, chat_id: str) -> int:
    async with world.db.session() as session:
        found = await session.scalar(
            select(InboxInquiryRow.id).where(InboxInquiryRow.chat_id == chat_id, InboxInquiryRow.status == "open")
        )
    assert found is not None, f"no open inquiry for {chat_id}"
    return int(found)


async def entries(world: World, inquiry_id: int) -> list[InboxEntryRow]:
    async with world.db.session() as session:
        rows = await session.scalars(
            select(InboxEntryRow).where(InboxEntryRow.inquiry_id == inquiry_id).order_by(InboxEntryRow.id)
        )
        return list(rows)


async def media_kept(world: World, inquiry_id: int, timeout: float = 15) -> InboxMediaRow:
    """Wait for the copy job to have kept the inquiry's one media."""
    deadline = time.monotonic() + timeout
    while True:
        async with world.db.session() as session:
            row = await session.scalar(select(InboxMediaRow).where(InboxMediaRow.inquiry_id == inquiry_id))
        if row is not None and row.state != "pending":
            return row
        assert time.monotonic() < deadline, "the media was not copied"
        await asyncio.sleep(0.05)


def send(world: World, person: Person, message: dict[str, Any]) -> None:
    world.control("POST", f"{person.chat_path}/messages", 202, json=message)


def image_message(content: bytes) -> dict[str, Any]:
    return {"type": "image", "content_base64": base64.b64encode(content).decode(), "content_type": "image/png"}


def sends(world: World, path: str) -> int:
    """How many accepted POSTs to `path` (e.g. "/v2/bot/message/reply") the emulator's request log has."""
    log = world.control("GET", "/_emulator/requests", params={"limit": 1000})["requests"]
    return sum(1 for r in log if r["method"] == "POST" and r["path"] == path and r["status_code"] == 200)


def answer(operator: Operator, inquiry_id: int, text: str) -> tuple[str, str]:
    """The operator opens the inquiry, reads how the answer will go, and sends it: (planned, notice page)."""
    page = operator.get(operator.oa(f"/inbox/{inquiry_id}"))
    assert page.status_code == 200, page.text[:300]
    found = ROUTE.search(page.text)
    assert found is not None, page.text[:500]
    sent = operator.post(operator.oa(f"/inbox/{inquiry_id}/reply"), {"text": text})
    assert sent.status_code == 200, sent.text[:500]
    return found.group(1), sent.text
