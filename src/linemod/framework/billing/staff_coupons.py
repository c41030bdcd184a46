"""Coupons staff create in the provider console, next to the ones the module declares in code.

A code-declared coupon is the module author's and stays as the code says; a staff coupon lives in the
database (`billing_staff_coupons`) and can be deactivated, which stops new redemptions only: a subscription
keeps the terms of the coupon it redeemed (`SubscriptionChanges.redeem_coupon` copies them). Codes are one
namespace: staff cannot create a coupon under a code the module declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.coupons import Coupon
from linemod.framework.billing.staff_records import StaffCouponRow
from linemod.framework.storage.database import Database


@dataclass(frozen=True)
class ListedCoupon:
    coupon: Coupon
    declared_in_code: bool
    active: bool
    created_by: str | None = None
    created_at_ms: int | None = None


def _coupon(row: StaffCouponRow) -> Coupon:
    return Coupon(row.code, row.kind, row.value, row.duration, row.months, row.name_ja, row.name_en)  # type: ignore[arg-type]


async def active_staff_coupon(session: AsyncSession, code: str) -> Coupon | None:
    row = await session.get(StaffCouponRow, code)
    return _coupon(row) if row is not None and row.active else None


async def list_coupons(db: Database, declared: Mapping[str, Coupon]) -> list[ListedCoupon]:
    """The module's coupons, then the staff's (active first, newest first)."""
    listed = [ListedCoupon(coupon, True, True) for coupon in declared.values()]
    async with db.session() as session:
        rows = await session.scalars(
            select(StaffCouponRow).order_by(StaffCouponRow.active.desc(), StaffCouponRow.created_at_ms.desc())
        )
        listed += [ListedCoupon(_coupon(row), False, row.active, row.created_by, row.created_at_ms) for row in rows]
    return listed


async def create_coupon(
    db: Database, coupon: Coupon, declared: Mapping[str, Coupon], *, created_by: str, now_ms: int
) -> None:
    """Store a new staff coupon (`Coupon` has checked its terms); `CatalogError` when the code is taken."""
    if coupon.code in declared:
        raise CatalogError(f"coupon {coupon.code!r} is declared by the module: choose another code")
    try:
        async with db.transaction() as session:
            session.add(StaffCouponRow(
                code=coupon.code, kind=coupon.kind, value=coupon.value, duration=coupon.duration,
                months=coupon.months, name_ja=coupon.name_ja, name_en=coupon.name_en, active=True,
                created_by=created_by, created_at_ms=now_ms,
            ))
    except IntegrityError:
        raise CatalogError(f"coupon {coupon.code!r} exists already") from None


async def deactivate_coupon(db: Database, code: str, *, now_ms: int) -> bool:
    """Stop new redemptions of a staff coupon; False when there is no such active coupon."""
    async with db.transaction() as session:
        row = await session.get(StaffCouponRow, code, with_for_update=True)
        if row is None or not row.active:
            return False
        row.active, row.deactivated_at_ms = False, now_ms
        return True
