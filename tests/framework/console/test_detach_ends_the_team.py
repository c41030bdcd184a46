"""A console team lasts as long as the attachment: after a detach, by whichever path, the former operators
see nothing of the OA, and whoever attaches it again owns a fresh team. The module's data stays."""

from __future__ import annotations

from sqlalchemy import func, select, text

from linemod.framework.storage.models import InvitationRow, MembershipRow
from linemod.framework.tenants.store import BotProfile
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT


async def members_and_invitations(console: Console) -> tuple[int, int]:
    async with console.db.session() as session:
        members = await session.scalar(
            select(func.count()).select_from(MembershipRow).where(MembershipRow.bot_id == BOT)
        )
        invited = await session.scalar(
            select(func.count()).select_from(InvitationRow).where(InvitationRow.bot_id == BOT)
        )
    return int(members or 0), int(invited or 0)


async def set_up_team(console: Console) -> tuple[object, object]:
    owner = await console.operator("owner@example.com")
    staff = await console.operator("staff@example.com")
    await console.give_oa("owner@example.com")
    await console.give_oa("staff@example.com", role="staff")
    services = console.app.console.services()
    account = await services.accounts.by_email("owner@example.com")
    assert account is not None
    await services.teams.invite(BOT, "later@example.com", "staff", account.id)
    assert await members_and_invitations(console) == (2, 2)  # the staff member's accepted one, and a pending one
    return owner, staff


async def test_a_detached_event_ends_the_team_and_a_new_attach_starts_a_fresh_one(console: Console) -> None:
    owner, staff = await set_up_team(console)
    services = console.app.console.services()
    async with console.db.transaction() as session:
        await session.execute(text("INSERT INTO tenant_settings VALUES (:bot, 'booking', '{}', 1, NULL)"), {"bot": BOT})
        assert await services.tenants.apply_lifecycle(session, BOT, "detached", console.app.clock.now_ms())
    assert await members_and_invitations(console) == (0, 0)
    for former in (owner, staff):
        assert (await former.get(f"/console/oas/{BOT}")).status_code == 404  # type: ignore[attr-defined]
        assert (await former.get(f"/console/oas/{BOT}/team")).status_code == 404  # type: ignore[attr-defined]
    async with console.db.session() as session:  # the module's data about the OA stays
        assert await session.scalar(text("SELECT COUNT(*) FROM tenant_settings WHERE bot_id = :bot"), {"bot": BOT}) == 1

    newcomer = await console.operator("new-admin@example.com")
    await services.tenants.record_attach(BOT, ["message:receive"], BotProfile(BOT, display_name="Cafe Sakura"))
    await console.give_oa("new-admin@example.com")
    assert (await newcomer.get(f"/console/oas/{BOT}")).status_code == 200
    assert await members_and_invitations(console) == (1, 0)
    assert (await owner.get(f"/console/oas/{BOT}")).status_code == 404  # type: ignore[attr-defined]


async def test_the_providers_detach_and_reconciliation_end_the_team_too(console: Console) -> None:
    await set_up_team(console)
    services = console.app.console.services()
    assert await services.tenants.mark_detached(BOT)
    assert await members_and_invitations(console) == (0, 0)

    await console.give_oa("owner@example.com")  # attached again by its owner
    assert await members_and_invitations(console) == (1, 0)
    report = await services.tenants.reconcile([], apply=True)  # LINE no longer lists it
    assert report.missing_on_line == [BOT]
    assert await members_and_invitations(console) == (0, 0)
