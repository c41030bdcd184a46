"""Accounts, OAs and memberships for the help desk's tests, written straight into the tables."""

from __future__ import annotations

import json

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account, MembershipRow, Tenant
from linemod.framework.support.business_hours import jst_ms

FRIDAY_10_00 = jst_ms(2027, 1, 8, 10, 0)  # Friday; Monday 2027-01-11 is 成人の日
BOT_A = "U" + "a" * 32
BOT_B = "U" + "b" * 32


async def add_account(db: Database, email: str, *, staff: bool = False, member_of: tuple[str, ...] = ()) -> AccountInfo:
    async with db.transaction() as session:
        row = Account(
            email=email,
            password_hash="x",
            provider_staff=staff,
            email_verified_at_ms=1,
            created_at_ms=1,
            updated_at_ms=1,
        )
        session.add(row)
        await session.flush()
        for bot_id in member_of:
            session.add(MembershipRow(account_id=row.id, bot_id=bot_id, role="owner", created_at_ms=1))
        return AccountInfo.from_row(row)


async def add_tenant(db: Database, bot_id: str, name: str, scopes: tuple[str, ...] = ("message:send",)) -> None:
    async with db.transaction() as session:
        session.add(
            Tenant(
                bot_id=bot_id,
                display_name=name,
                scopes_json=json.dumps(list(scopes)),
                state="attached",
                attached_at_ms=1,
                created_at_ms=1,
                updated_at_ms=1,
            )
        )
