"""Who may see which OA: memberships (owner or staff) and invitations.

Every operator console query goes through `role_of` / `tenants_of`: an OA the signed-in account has no
membership of does not exist for it. The account that completes an attach becomes an owner (LINE's consent
screen just proved it administers the OA); owners invite colleagues by email with a role.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from linemod.framework.accounts.info import (
    OWNER,
    ROLES,
    AccountError,
    AccountInfo,
    new_secret,
    normalize_email,
    token_hash,
)
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account, InvitationRow, MembershipRow, Tenant
from linemod.framework.tenants.info import TenantInfo

INVITATION_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Member:
    account_id: int
    email: str
    role: str
    since_ms: int


@dataclass(frozen=True)
class Invitation:
    id_hash: str
    bot_id: str
    email: str
    role: str
    created_at_ms: int
    expires_at_ms: int
    tenant_name: str = ""


class TeamService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def role_of(self, account_id: int, bot_id: str) -> str | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(MembershipRow.role).where(MembershipRow.account_id == account_id, MembershipRow.bot_id == bot_id)
            )

    async def tenants_of(self, account_id: int) -> list[tuple[TenantInfo, str]]:
        """The OAs this account is a member of, with its role, oldest attach first."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(Tenant, MembershipRow.role)
                .join(MembershipRow, MembershipRow.bot_id == Tenant.bot_id)
                .where(MembershipRow.account_id == account_id)
                .order_by(Tenant.created_at_ms, Tenant.bot_id)
            )
            return [(TenantInfo.from_row(tenant), role) for tenant, role in rows]

    async def make_owner(self, account_id: int, bot_id: str) -> None:
        """The account completed LINE's consent for this OA: it owns it from now on (staff are promoted)."""
        now = self.clock.now_ms()
        insert = postgresql.insert if self.db.is_postgres else sqlite.insert
        async with self.db.transaction() as session:
            stmt = insert(MembershipRow).values(account_id=account_id, bot_id=bot_id, role=OWNER, created_at_ms=now)
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["account_id", "bot_id"], set_={"role": OWNER})
            )

    async def members(self, bot_id: str) -> list[Member]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(MembershipRow, Account.email)
                .join(Account, Account.id == MembershipRow.account_id)
                .where(MembershipRow.bot_id == bot_id)
                .order_by(MembershipRow.created_at_ms, Account.email)
            )
            return [Member(m.account_id, email, m.role, m.created_at_ms) for m, email in rows]

    async def remove(self, bot_id: str, account_id: int) -> None:
        """Take an account off the team; the last owner cannot be removed (the OA would be orphaned)."""
        async with self.db.transaction() as session:
            member = await session.get(MembershipRow, (account_id, bot_id))
            if member is None:
                return
            if member.role == OWNER:
                owners = await session.scalar(
                    select(func.count()).where(MembershipRow.bot_id == bot_id, MembershipRow.role == OWNER)
                )
                if int(owners or 0) <= 1:
                    raise AccountError("last_owner")
            await session.delete(member)

    # ---- invitations ----------------------------------------------------------------------------------

    async def invite(self, bot_id: str, email: str, role: str, invited_by: int) -> str:
        """A new invitation; returns the token for the mailed link."""
        if role not in ROLES:
            raise AccountError("bad_role")
        address = normalize_email(email)
        async with self.db.session() as session:
            already = await session.scalar(
                select(MembershipRow.account_id)
                .join(Account, Account.id == MembershipRow.account_id)
                .where(MembershipRow.bot_id == bot_id, Account.email == address)
            )
        if already is not None:
            raise AccountError("already_member")
        token, id_hash = new_secret()
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            session.add(
                InvitationRow(
                    id_hash=id_hash,
                    bot_id=bot_id,
                    email=address,
                    role=role,
                    invited_by=invited_by,
                    created_at_ms=now,
                    expires_at_ms=now + INVITATION_TTL_SECONDS * 1000,
                )
            )
        return token

    async def pending(self, bot_id: str) -> list[Invitation]:
        now = self.clock.now_ms()
        async with self.db.session() as session:
            rows = await session.scalars(
                select(InvitationRow)
                .where(
                    InvitationRow.bot_id == bot_id,
                    InvitationRow.accepted_at_ms.is_(None),
                    InvitationRow.revoked_at_ms.is_(None),
                    InvitationRow.expires_at_ms > now,
                )
                .order_by(InvitationRow.created_at_ms)
            )
            return [_invitation(row) for row in rows]

    async def revoke(self, bot_id: str, id_hash: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(InvitationRow)
                .where(InvitationRow.bot_id == bot_id, InvitationRow.id_hash == id_hash)
                .values(revoked_at_ms=self.clock.now_ms())
            )

    async def find(self, token: str) -> Invitation | None:
        """The open invitation of a link, with the OA's name (shown before signing in)."""
        now = self.clock.now_ms()
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(InvitationRow, Tenant)
                    .join(Tenant, Tenant.bot_id == InvitationRow.bot_id, isouter=True)
                    .where(
                        InvitationRow.id_hash == token_hash(token),
                        InvitationRow.accepted_at_ms.is_(None),
                        InvitationRow.revoked_at_ms.is_(None),
                        InvitationRow.expires_at_ms > now,
                    )
                )
            ).first()
        if found is None:
            return None
        row, tenant = found
        name = TenantInfo.from_row(tenant).label if tenant else row.bot_id
        return _invitation(row, name)

    async def accept(self, token: str, account: AccountInfo) -> str:
        """Join the invitation's OA with its role; returns the bot ID. The invitation was addressed to one
        email: only the account with that email can use it ("wrong_account")."""
        invitation = await self.find(token)
        if invitation is None:
            raise AccountError("invitation_invalid")
        if invitation.email != account.email:
            raise AccountError("wrong_account")
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(InvitationRow)
                .where(InvitationRow.id_hash == invitation.id_hash, InvitationRow.accepted_at_ms.is_(None))
                .values(accepted_at_ms=now, accepted_by=account.id)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise AccountError("invitation_invalid")
            if await session.get(MembershipRow, (account.id, invitation.bot_id)) is None:
                session.add(
                    MembershipRow(
                        account_id=account.id, bot_id=invitation.bot_id, role=invitation.role, created_at_ms=now
                    )
                )
        return invitation.bot_id


def _invitation(row: InvitationRow, tenant_name: str = "") -> Invitation:
    return Invitation(row.id_hash, row.bot_id, row.email, row.role, row.created_at_ms, row.expires_at_ms, tenant_name)
