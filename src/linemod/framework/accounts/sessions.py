"""Console sign-in sessions: a signed cookie carrying a random session token, and a table of sessions that
can be revoked.

The cookie is signed with itsdangerous so a forged or altered cookie is refused before any query. The table
keeps only the token's SHA-256; a session is valid while its row exists, is not revoked and has not expired.
Signing out revokes the browser's session; changing or resetting a password revokes every session of the
account (the browser that changed it gets a new one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from linemod.framework.accounts.info import AccountInfo, new_secret, token_hash
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account, AuthSessionRow

COOKIE = "linemod_console_session"
TOUCH_EVERY_MS = 5 * 60 * 1000  # last_seen is refreshed at most this often: no write on every page view


@dataclass(frozen=True)
class SignedIn:
    """A valid session: who, and the raw token (the CSRF token of the session is derived from it)."""

    account: AccountInfo
    token: str
    id_hash: str


class SessionStore:
    def __init__(self, db: Database, clock: Clock, *, secret: Callable[[], str], max_age_seconds: int) -> None:
        self.db = db
        self.clock = clock
        self.max_age_ms = max_age_seconds * 1000
        self._secret = secret
        self._signer_made: URLSafeSerializer | None = None

    @property
    def _signer(self) -> URLSafeSerializer:
        # Asked for the secret on first use: account work with no sessions (`linemod accounts create-staff`)
        # runs where no signing secret is set.
        if self._signer_made is None:
            self._signer_made = URLSafeSerializer(self._secret(), salt="linemod-console-session")
        return self._signer_made

    async def create(self, account_id: int, *, ip: str | None = None, user_agent: str | None = None) -> str:
        """Start a session; returns the cookie value."""
        token, id_hash = new_secret()
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            session.add(
                AuthSessionRow(
                    id_hash=id_hash,
                    account_id=account_id,
                    created_at_ms=now,
                    last_seen_at_ms=now,
                    expires_at_ms=now + self.max_age_ms,
                    ip=(ip or "")[:64] or None,
                    user_agent=(user_agent or "")[:255] or None,
                )
            )
        return str(self._signer.dumps(token))

    def token_of(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            value = self._signer.loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    async def resolve(self, cookie: str | None) -> SignedIn | None:
        """The session a cookie names, if it is still valid."""
        token = self.token_of(cookie)
        if token is None:
            return None
        id_hash = token_hash(token)
        now = self.clock.now_ms()
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(AuthSessionRow, Account)
                    .join(Account, Account.id == AuthSessionRow.account_id)
                    .where(
                        AuthSessionRow.id_hash == id_hash,
                        AuthSessionRow.revoked_at_ms.is_(None),
                        AuthSessionRow.expires_at_ms > now,
                    )
                )
            ).first()
            if found is None:
                return None
            row, account = found
            if now - row.last_seen_at_ms > TOUCH_EVERY_MS:
                row.last_seen_at_ms = now
                await session.commit()
            return SignedIn(AccountInfo.from_row(account), token, id_hash)

    async def revoke(self, id_hash: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(AuthSessionRow)
                .where(AuthSessionRow.id_hash == id_hash, AuthSessionRow.revoked_at_ms.is_(None))
                .values(revoked_at_ms=self.clock.now_ms())
            )

    async def revoke_all(self, account_id: int) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AuthSessionRow)
                .where(AuthSessionRow.account_id == account_id, AuthSessionRow.revoked_at_ms.is_(None))
                .values(revoked_at_ms=self.clock.now_ms())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
