"""Who is asking a console request (`Viewer`) and, under /console/oas/{bot_id}/, their role on that OA
(`OaAccess`): plain records the dependencies in `web.py` build and every page receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from linemod.framework.accounts.info import OWNER, AccountInfo
from linemod.framework.accounts.sessions import SignedIn
from linemod.framework.tenants.info import TenantInfo

if TYPE_CHECKING:
    from linemod.framework.billing.console.banners import BillingNotice


@dataclass
class Viewer:
    """The person behind a console request (or nobody), their language and their CSRF token."""

    signed_in: SignedIn | None
    lang: str
    csrf_token: str
    new_anon_id: str | None = None  # a browser seen for the first time: set its anonymous CSRF cookie
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def account(self) -> AccountInfo | None:
        return self.signed_in.account if self.signed_in else None


@dataclass
class OaAccess:
    """An OA the signed-in operator is a member of, with their role on it."""

    viewer: Viewer
    tenant: TenantInfo
    role: str
    billing_notice: BillingNotice | None = None
    """What the billing banner on every page of the OA says (trial ending, payment failed, ...), if anything."""

    @property
    def is_owner(self) -> bool:
        return self.role == OWNER
