"""Console accounts: sign-up, email verification, sign-in (rate-limited), password reset and change, OA teams.

Plain services over the database (no HTTP): `AccountService` (accounts and their single-use mail links),
`AccountLimits` (sign-ins and mail requests per email, per IP and both), `TeamService` (who may see which
OA, invitations).
The console routes in `linemod.framework.console` translate HTTP to calls on them.
"""

from linemod.framework.accounts.info import ROLES, AccountError, AccountInfo, normalize_email
from linemod.framework.accounts.rate_limit import AccountLimits
from linemod.framework.accounts.service import AccountService
from linemod.framework.accounts.teams import Invitation, Member, TeamService

__all__ = [
    "ROLES",
    "AccountError",
    "AccountInfo",
    "AccountLimits",
    "AccountService",
    "Invitation",
    "Member",
    "TeamService",
    "normalize_email",
]
