"""Limits on the account forms (sign-ins, mail requests), counted in the database so that they hold across
processes and under concurrency.

An attempt is counted before it is carried out, by the same statement that decides whether it may be: one
upsert per key adds one while the key is below its limit, and returns a row only when it did. PostgreSQL
runs `INSERT … ON CONFLICT DO UPDATE` on the newest committed row, locked (a second upsert of the key waits
for the first one's transaction, even under READ COMMITTED), and SQLite has one writer at a time, so of N
requests sent at once at most the limit pass. (Reading "how many so far?" and writing "one more" after the
password check, as this did before, let 91 of 100 concurrent guesses through.)

Windows are fixed, not sliding, and start at a key's first attempt: the key counts up to its limit for
`window_seconds` from then, and from 0 again at its first attempt after that. That is one row per key and
one statement per check, at the price of letting up to twice a limit through around a window's end. (Not
aligned on the clock: a few tries in a row are never split by a boundary that happens to fall between them.)
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text

from linemod.framework.clock import Clock
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database

# A key whose window has ended counts from 1 in a window starting now. A process whose clock is a little
# behind another's counts in the window the other started.
_COUNT_ONE = text(
    """
    INSERT INTO attempt_counters (key_hash, window_start_ms, expires_at_ms, attempts)
    VALUES (:key_hash, :now_ms, :expires_at_ms, 1)
    ON CONFLICT (key_hash) DO UPDATE SET
        attempts = CASE WHEN attempt_counters.expires_at_ms <= excluded.window_start_ms
                        THEN 1 ELSE attempt_counters.attempts + 1 END,
        window_start_ms = CASE WHEN attempt_counters.expires_at_ms <= excluded.window_start_ms
                               THEN excluded.window_start_ms ELSE attempt_counters.window_start_ms END,
        expires_at_ms = CASE WHEN attempt_counters.expires_at_ms <= excluded.window_start_ms
                             THEN excluded.expires_at_ms ELSE attempt_counters.expires_at_ms END
    WHERE attempt_counters.expires_at_ms <= excluded.window_start_ms
       OR attempt_counters.attempts < :max_attempts
    RETURNING window_start_ms
    """
)
_GIVE_BACK = text(
    "UPDATE attempt_counters SET attempts = attempts - 1"
    " WHERE key_hash = :key_hash AND window_start_ms = :window_start_ms AND attempts > 0"
)
_CLEAR = text("DELETE FROM attempt_counters WHERE key_hash = :key_hash")


@dataclass(frozen=True)
class Limit:
    """At most `max_attempts` per subject (an email, an IP, both) in each window of `window_seconds`."""

    scope: str
    max_attempts: int
    window_seconds: int

    def key(self, subject: str) -> str:
        """The counter's key: a hash, so the table holds no email address."""
        return hashlib.sha256(f"{self.scope}\x00{subject}".encode()).hexdigest()


@dataclass(frozen=True)
class Counted:
    """One attempt counted under one key, in the window it was counted in (what `settle` can give back)."""

    key_hash: str
    window_start_ms: int


class _Refused(Exception):
    """A key is at its limit: the attempt's transaction rolls back, so it counts nowhere."""


class AttemptCounters:
    """Counters of attempts per key in the `attempt_counters` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def count(self, checks: Sequence[tuple[Limit, str]]) -> list[Counted] | None:
        """Count one attempt under every (limit, subject), all or none: None, with nothing counted, when any
        of them is at its limit. (So a guesser whom the per-IP limit stops does not go on using up the
        per-account limits of the accounts it tries.)"""
        now = self.clock.now_ms()
        # Keys in one global order: two transactions locking the same rows then never wait for each other
        # in a cycle (on PostgreSQL each upsert holds its row's lock until the transaction ends).
        keyed = sorted(((limit.key(subject), limit) for limit, subject in checks), key=lambda pair: pair[0])
        counted: list[Counted] = []
        try:
            async with self.db.write_transaction() as session:
                for key_hash, limit in keyed:
                    values = {
                        "key_hash": key_hash,
                        "now_ms": now,
                        "expires_at_ms": now + limit.window_seconds * 1000,
                        "max_attempts": limit.max_attempts,
                    }
                    row = (await session.execute(_COUNT_ONE, values)).first()
                    if row is None:
                        raise _Refused()
                    counted.append(Counted(key_hash, int(row[0])))
        except _Refused:
            return None
        return counted

    async def settle(self, *, give_back: Sequence[Counted] = (), clear: Sequence[str] = ()) -> None:
        """In one transaction: uncount attempts (in the windows they were counted in: a newer window has
        nothing to give back) and delete whole keys."""
        steps = [(one.key_hash, one.window_start_ms) for one in give_back] + [(key, None) for key in clear]
        async with self.db.write_transaction() as session:
            for key_hash, window_start_ms in sorted(steps, key=lambda step: step[0]):  # the order `count` locks in
                if window_start_ms is None:
                    await session.execute(_CLEAR, {"key_hash": key_hash})
                else:
                    await session.execute(_GIVE_BACK, {"key_hash": key_hash, "window_start_ms": window_start_ms})


def client_network(ip: str) -> str:
    """What a per-IP limit counts by: the address, or for IPv6 its /64 network (one host usually gets a
    whole /64, so counting single addresses would let it take a fresh one for every try)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip  # "unknown" (no peer address), or a proxy's odd header: counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class SigninAttempt:
    """A sign-in counted against its limits, before its password is checked."""

    pair_key: str
    counted: list[Counted]


class AccountLimits:
    """The limits of the account forms, from the settings (`signin_*`, `reset_*`).

    A sign-in counts against three limits: per email and client IP (`signin_max_failures`), per email from
    any IP and per IP over every email. A successful one clears its email-and-IP counter, as a person who
    mistyped expects, and gives back only its own attempt on the other two: earlier failures stay counted,
    so someone with one valid account cannot wipe their IP's failures against other accounts, nor the
    owner's success wipe a guesser's failures from elsewhere. A mail request (password reset, a new
    verification link, a sign-up with a taken address) counts per email and per IP, whether or not the email
    has an account.
    """

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.counters = AttemptCounters(db, clock)
        self.signin_pair = Limit("signin", settings.signin_max_failures, settings.signin_window_seconds)
        self.signin_account = Limit(
            "signin-account", settings.signin_account_max_failures, settings.signin_account_window_seconds
        )
        self.signin_ip = Limit("signin-ip", settings.signin_ip_max_failures, settings.signin_ip_window_seconds)
        self.mail_account = Limit(
            "mail-account", settings.reset_account_max_mails, settings.reset_account_window_seconds
        )
        self.mail_ip = Limit("mail-ip", settings.reset_ip_max_mails, settings.reset_ip_window_seconds)

    async def begin_signin(self, email: str, ip: str) -> SigninAttempt | None:
        """Count a sign-in before its password is checked; None when a limit is reached (do not check it)."""
        address, network = _subject(email), client_network(ip)
        pair = f"{address}\x00{network}"
        counted = await self.counters.count(
            [(self.signin_pair, pair), (self.signin_account, address), (self.signin_ip, network)]
        )
        if counted is None:
            return None
        return SigninAttempt(self.signin_pair.key(pair), counted)

    async def signin_succeeded(self, attempt: SigninAttempt) -> None:
        others = [c for c in attempt.counted if c.key_hash != attempt.pair_key]
        await self.counters.settle(give_back=others, clear=[attempt.pair_key])

    async def account_recovered(self, email: str) -> None:
        """The owner set a new password from a mailed link: failures of others no longer keep them out."""
        await self.counters.settle(clear=[self.signin_account.key(_subject(email))])

    async def allow_mail(self, email: str, ip: str) -> bool:
        """Count a request for a mail to `email`; False when a limit is reached (send nothing)."""
        checks = [(self.mail_account, _subject(email)), (self.mail_ip, client_network(ip))]
        return await self.counters.count(checks) is not None


def _subject(email: str) -> str:
    # Not `normalize_email`: a malformed address is limited like any other instead of raising.
    return email.strip().lower()
