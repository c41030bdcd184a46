"""Console accounts: sign-up, email verification, sign-in (rate-limited), password reset and change, OA teams.

Plain services over the database (no HTTP): `AccountService` (accounts and their single-use mail links),
`SigninLimiter` (failed sign-ins per email and IP), `TeamService` (who may see which OA, invitations).
The console routes in `linemod.framework.console` translate HTTP to calls on them.
"""

from linemod.framework.accounts.info import ROLES, AccountError, AccountInfo, normalize_email
from linemod.framework.accounts.rate_limit import SigninLimiter
from linemod.framework.accounts.service import AccountService
from linemod.framework.accounts.teams import Invitation, Member, TeamService

__all__ = [
    "ROLES",
    "AccountError",
    "AccountInfo",
    "AccountService",
    "Invitation",
    "Member",
    "SigninLimiter",
    "TeamService",
    "normalize_email",
]
