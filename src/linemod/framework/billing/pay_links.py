"""The "pay now" link every billing mail carries: a signed, expiring token naming the OA (and the invoice,
when there is one), read by the pay page (`billing_routes.py`). Signed with the app's signing secret;
expiry is on the app's clock, so links age with the emulator's time in tests and demos like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from linemod.framework.billing.payments.dunning import DAY_MS
from linemod.framework.clock import Clock

PAY_PATH = "/billing/pay"
_SALT = "linemod-billing-pay"


@dataclass(frozen=True)
class PayToken:
    bot_id: str
    invoice_id: int | None
    expires_at_ms: int


class PayLinks:
    def __init__(self, secret: str, clock: Clock, public_base_url: str, *, valid_days: int) -> None:
        self._serializer = URLSafeSerializer(secret, salt=_SALT)
        self.clock = clock
        self.base = public_base_url.rstrip("/")
        self.valid_ms = valid_days * DAY_MS

    def url(self, bot_id: str, invoice_id: int | None = None) -> str:
        token = self._serializer.dumps([bot_id, invoice_id, self.clock.now_ms() + self.valid_ms])
        return f"{self.base}{PAY_PATH}/{token}"

    def read(self, token: str) -> PayToken | None:
        """The token's content, or None when it is forged, malformed or expired."""
        try:
            bot_id, invoice_id, expires = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(bot_id, str) or not isinstance(expires, int) or expires < self.clock.now_ms():
            return None
        if invoice_id is not None and not isinstance(invoice_id, int):
            return None
        return PayToken(bot_id, invoice_id, expires)
