"""Accounts and their single-use mail links: sign-up, email verification, sign-in, password reset and change.

Answers never tell whether an email has an account (sign-up of a taken email and a reset request for an
unknown one look the same to the browser); the mails tell the owner of the address instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from linemod.framework.accounts.info import (
    AccountError,
    AccountInfo,
    check_password,
    new_secret,
    normalize_email,
    token_hash,
)
from linemod.framework.accounts.passwords import Passwords
from linemod.framework.accounts.rate_limit import AccountLimits
from linemod.framework.accounts.sessions import SessionStore
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account, AccountTokenRow

VERIFY = "verify"
RESET = "reset"
TOKEN_TTL_SECONDS = {VERIFY: 48 * 3600, RESET: 3600}


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: a new account with its verification token, or nothing (the email was taken)."""

    account: AccountInfo | None
    verify_token: str | None
    existing: AccountInfo | None = None


class AccountService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sessions: SessionStore,
        limits: AccountLimits,
        passwords: Passwords | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sessions = sessions
        self.limits = limits
        self.passwords = passwords or Passwords()

    # ---- reading --------------------------------------------------------------------------------------

    async def get(self, account_id: int) -> AccountInfo | None:
        async with self.db.session() as session:
            row = await session.get(Account, account_id)
            return AccountInfo.from_row(row) if row else None

    async def by_email(self, email: str) -> AccountInfo | None:
        async with self.db.session() as session:
            row = await session.scalar(select(Account).where(Account.email == normalize_email(email)))
            return AccountInfo.from_row(row) if row else None

    # ---- creating -------------------------------------------------------------------------------------

    async def sign_up(self, email: str, password: str, *, verified: bool = False) -> SignUp:
        """Create an operator account (unverified unless `verified`, e.g. the address came from an
        invitation link). A taken email creates nothing and returns the existing account."""
        address = normalize_email(email)
        check_password(password)
        password_hash = await self.passwords.hash(password)
        existing = await self.by_email(address)
        if existing is not None:
            return SignUp(None, None, existing)
        account = await self._insert(address, password_hash, staff=False, verified=verified)
        if account is None:  # a concurrent sign-up of the same email won
            return SignUp(None, None, await self.by_email(address))
        token = None if verified else await self.issue_token(account.id, VERIFY)
        return SignUp(account, token)

    async def create_staff(self, email: str, password: str) -> AccountInfo:
        """A provider staff account (verified: it is created by someone with shell access)."""
        address = normalize_email(email)
        check_password(password)
        if await self.by_email(address) is not None:
            raise AccountError("email_taken")
        account = await self._insert(address, await self.passwords.hash(password), staff=True, verified=True)
        if account is None:
            raise AccountError("email_taken")
        return account

    async def _insert(self, email: str, password_hash: str, *, staff: bool, verified: bool) -> AccountInfo | None:
        now = self.clock.now_ms()
        try:
            async with self.db.transaction() as session:
                row = Account(
                    email=email,
                    password_hash=password_hash,
                    provider_staff=staff,
                    email_verified_at_ms=now if verified else None,
                    created_at_ms=now,
                    updated_at_ms=now,
                )
                session.add(row)
                await session.flush()
                return AccountInfo.from_row(row)
        except IntegrityError:
            return None

    # ---- single-use links -----------------------------------------------------------------------------

    async def issue_token(self, account_id: int, purpose: str) -> str:
        token, id_hash = new_secret()
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            session.add(
                AccountTokenRow(
                    id_hash=id_hash,
                    account_id=account_id,
                    purpose=purpose,
                    created_at_ms=now,
                    expires_at_ms=now + TOKEN_TTL_SECONDS[purpose] * 1000,
                )
            )
        return token

    async def _consume(self, token: str, purpose: str) -> int | None:
        """Mark a valid token used (exactly once, even when two requests race); returns its account."""
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AccountTokenRow)
                .where(
                    AccountTokenRow.id_hash == token_hash(token),
                    AccountTokenRow.purpose == purpose,
                    AccountTokenRow.used_at_ms.is_(None),
                    AccountTokenRow.expires_at_ms > now,
                )
                .values(used_at_ms=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await session.scalar(
                select(AccountTokenRow.account_id).where(AccountTokenRow.id_hash == token_hash(token))
            )

    async def token_is_valid(self, token: str, purpose: str) -> bool:
        async with self.db.session() as session:
            row = await session.get(AccountTokenRow, token_hash(token))
        now = self.clock.now_ms()
        return bool(row and row.purpose == purpose and row.used_at_ms is None and row.expires_at_ms > now)

    async def verify_email(self, token: str) -> AccountInfo | None:
        account_id = await self._consume(token, VERIFY)
        if account_id is None:
            return None
        return await self.mark_verified(account_id)

    async def mark_verified(self, account_id: int) -> AccountInfo | None:
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = await session.get(Account, account_id)
            if row is None:
                return None
            if row.email_verified_at_ms is None:
                row.email_verified_at_ms = row.updated_at_ms = now
            return AccountInfo.from_row(row)

    # ---- signing in -----------------------------------------------------------------------------------

    async def authenticate(self, email: str, password: str, ip: str) -> AccountInfo:
        """The account whose email and password these are. Raises `AccountError`: "rate_limited" (too many
        failures for this email from this IP, for this email, or from this IP; the password is not even
        checked), "bad_credentials" or "unverified" (right password, email not verified yet)."""
        attempt = await self.limits.begin_signin(email, ip)  # counted before the check: see rate_limit
        if attempt is None:
            raise AccountError("rate_limited")
        try:
            address = normalize_email(email)
        except AccountError:
            address = ""
        async with self.db.session() as session:
            row = await session.scalar(select(Account).where(Account.email == address)) if address else None
        if not await self.passwords.verify(row.password_hash if row else None, password[:1024]):
            raise AccountError("bad_credentials")  # the attempt stays counted
        assert row is not None
        await self.limits.signin_succeeded(attempt)
        if self.passwords.needs_rehash(row.password_hash):
            await self._set_password(row.id, password)
        if row.email_verified_at_ms is None:
            raise AccountError("unverified")
        return AccountInfo.from_row(row)

    # ---- passwords ------------------------------------------------------------------------------------

    async def request_password_reset(self, email: str) -> tuple[AccountInfo, str] | None:
        """A reset token for the account of `email`, or None when there is none (say nothing to the caller)."""
        try:
            account = await self.by_email(email)
        except AccountError:
            return None
        if account is None:
            return None
        return account, await self.issue_token(account.id, RESET)

    async def reset_password(self, token: str, new_password: str) -> AccountInfo | None:
        """Set a new password from a reset link; every session of the account is revoked. Following the
        link proves the address, so an unverified email becomes verified."""
        check_password(new_password)
        account_id = await self._consume(token, RESET)
        if account_id is None:
            return None
        await self._set_password(account_id, new_password)
        await self.sessions.revoke_all(account_id)
        account = await self.mark_verified(account_id)
        if account is not None:
            await self.limits.account_recovered(account.email)
        return account

    async def change_password(self, account_id: int, current: str, new_password: str) -> None:
        """Change a signed-in account's password; every session is revoked (the caller signs the browser in
        again)."""
        check_password(new_password)
        async with self.db.session() as session:
            row = await session.get(Account, account_id)
        if row is None or not await self.passwords.verify(row.password_hash, current[:1024]):
            raise AccountError("bad_current_password")
        await self._set_password(account_id, new_password)
        await self.sessions.revoke_all(account_id)

    async def _set_password(self, account_id: int, password: str) -> None:
        """Set the password and end every reset link still open: one mailed before the change must not
        set another password afterwards (whoever can read that mail could otherwise take the account back)."""
        password_hash = await self.passwords.hash(password)
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = await session.get(Account, account_id)
            if row is not None:
                row.password_hash = password_hash
                row.updated_at_ms = now
            await session.execute(
                update(AccountTokenRow)
                .where(
                    AccountTokenRow.account_id == account_id,
                    AccountTokenRow.purpose == RESET,
                    AccountTokenRow.used_at_ms.is_(None),
                )
                .values(used_at_ms=now)
            )
