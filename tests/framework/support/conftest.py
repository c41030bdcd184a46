"""Fixtures of the help desk's tests: a ticket service on a manual clock, two OAs, their operators, staff."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.support.tickets import TicketService
from tests.framework.support.builders import BOT_A, BOT_B, FRIDAY_10_00, add_account, add_tenant


@dataclass
class People:
    operator_a: AccountInfo  # member of OA A
    operator_b: AccountInfo  # member of OA B
    staff: AccountInfo
    other_staff: AccountInfo


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_10_00)


@pytest.fixture
async def people(db: Database) -> People:
    await add_tenant(db, BOT_A, "さくら美容室")
    await add_tenant(db, BOT_B, "Other OA")
    return People(
        operator_a=await add_account(db, "hanako@sakura.example", member_of=(BOT_A,)),
        operator_b=await add_account(db, "taro@other.example", member_of=(BOT_B,)),
        staff=await add_account(db, "staff@provider.example", staff=True),
        other_staff=await add_account(db, "lead@provider.example", staff=True),
    )


@pytest.fixture
def tickets(db: Database, clock: ManualClock) -> TicketService:
    return TicketService(db, clock, mail_domain="support.provider.example")
