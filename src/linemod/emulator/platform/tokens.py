"""Channel access tokens (docs/emulator-behaviour.md: rules 18–22): stateless, v2.1 (JWT assertion) and short-lived.

Long-lived tokens do not exist for module channels, and the emulator issues none at all.
Stateless tokens are JWTs signed with the platform's own key, so nothing is stored for them and
they cannot be revoked, as on LINE. v2.1 and short-lived tokens are kept to count and revoke.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import jwt
from jwt.algorithms import RSAAlgorithm

from linemod.emulator import ids
from linemod.emulator.errors import LineApiError, OAuthError, unauthorized
from linemod.emulator.platform.entities import Channel, ModuleChannel

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

STATELESS_SECONDS = 900  # choice 27
SHORT_LIVED_SECONDS = 2_592_000
V21_MAX_SECONDS = 2_592_000
MAX_LIVE_TOKENS = 30
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AUDIENCE = "https://api.line.me/"
ASSERTION_MAX_LIFETIME_S = 30 * 60


@dataclass
class IssuedToken:
    token: str
    kind: str  # "v2.1" | "short"
    channel_id: str
    issued_at_ms: int
    expires_at_ms: int
    key_id: str | None = None
    revoked: bool = False


class TokenArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.signing_key = ids.channel_secret() + ids.channel_secret()
        self.issued: dict[str, IssuedToken] = {}
        # Verified stateless tokens -> (channel ID, expiry ms): a load test presents the same token
        # thousands of times a second, and an HMAC check plus JSON decode each time is most of a push.
        self._verified: dict[str, tuple[str, int]] = {}

    # ---- issuing ----------------------------------------------------------------------------

    def _channel_by_credentials(self, client_id: str | None, client_secret: str | None) -> Channel | None:
        channel = self.platform.channel(client_id or "")
        if channel is None or not client_secret:
            return None
        if not hmac.compare_digest(channel.channel_secret.encode(), client_secret.encode()):
            return None
        return channel

    def issue_stateless(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type.")
        channel: Channel
        if form.get("client_assertion_type") or form.get("client_assertion"):
            channel = self.verify_assertion(form)
        else:
            found = self._channel_by_credentials(form.get("client_id"), form.get("client_secret"))
            if found is None:
                raise OAuthError(400, "invalid_request", "Invalid 'client_credentials'.")
            channel = found
        now = self.platform.clock.now_ms()
        token = jwt.encode(
            {"kind": "stateless", "cid": channel.channel_id, "iat": now // 1000,
             "exp": now // 1000 + STATELESS_SECONDS, "jti": ids.opaque_token(16)},
            self.signing_key,
            algorithm="HS256",
        )
        return {"token_type": "Bearer", "access_token": token, "expires_in": STATELESS_SECONDS}

    def issue_v21(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type.")
        channel, claims = self._assertion(form)
        lifetime = claims.get("token_exp", V21_MAX_SECONDS)
        if not isinstance(lifetime, int) or lifetime <= 0 or lifetime > V21_MAX_SECONDS:
            raise OAuthError(400, "invalid_request", "Invalid token_exp")
        now = self.platform.clock.now_ms()
        if len(self._live(channel.channel_id, "v2.1")) >= MAX_LIVE_TOKENS:
            raise LineApiError(400, "The maximum number of access tokens has already been issued")
        key_id = ids.opaque_token(22)
        token = jwt.encode(
            {"kind": "v2.1", "cid": channel.channel_id, "iat": now // 1000, "exp": now // 1000 + lifetime,
             "kid": key_id},
            self.signing_key,
            algorithm="HS256",
        )
        self.issued[token] = IssuedToken(token, "v2.1", channel.channel_id, now, now + lifetime * 1000, key_id)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "key_id": key_id}

    def issue_short_lived(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type.")
        channel = self.platform.channel(form.get("client_id") or "")
        if channel is None:
            raise OAuthError(400, "invalid_client", "invalid client_id")
        if self._channel_by_credentials(form.get("client_id"), form.get("client_secret")) is None:
            raise OAuthError(400, "invalid_client", "invalid client_secret")
        now = self.platform.clock.now_ms()
        live = self._live(channel.channel_id, "short")
        if len(live) >= MAX_LIVE_TOKENS:
            # Rule 21: the 31st short-lived token revokes the oldest.
            min(live, key=lambda t: t.issued_at_ms).revoked = True
        token = ids.opaque_token(172)
        self.issued[token] = IssuedToken(token, "short", channel.channel_id, now, now + SHORT_LIVED_SECONDS * 1000)
        return {"access_token": token, "expires_in": SHORT_LIVED_SECONDS, "token_type": "Bearer"}

    def _live(self, channel_id: str, kind: str) -> list[IssuedToken]:
        now = self.platform.clock.now_ms()
        return [t for t in self.issued.values()
                if t.channel_id == channel_id and t.kind == kind and not t.revoked and t.expires_at_ms > now]

    # ---- JWT assertions ---------------------------------------------------------------------

    def _assertion(self, form: dict[str, str]) -> tuple[ModuleChannel, dict[str, Any]]:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError(400, "invalid_request", "Invalid client_assertion_type")
        assertion = form.get("client_assertion") or ""
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise OAuthError(400, "invalid_request", "Invalid client_assertion") from None
        if header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_client", "Invalid alg")
        channel = self.platform.module_channels.get(str(unverified.get("iss", "")))
        jwk = channel.public_keys.get(str(header.get("kid"))) if channel else None
        if channel is None or jwk is None:
            raise LineApiError(404, "Cannot find channel key that satisfies the conditions")
        try:
            key = RSAAlgorithm.from_jwk(jwk)
            claims = jwt.decode(assertion, key=key, algorithms=["RS256"], audience=AUDIENCE,  # type: ignore[arg-type]
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidAudienceError:
            raise OAuthError(400, "invalid_client", "Invalid aud") from None
        except jwt.PyJWTError:
            raise OAuthError(400, "invalid_client", "Invalid signature") from None
        if claims.get("iss") != channel.channel_id or claims.get("sub") != channel.channel_id:
            raise OAuthError(400, "invalid_client", "iss and clientId of key do not match")
        now_s = self.platform.clock.now_ms() // 1000
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now_s or exp > now_s + ASSERTION_MAX_LIFETIME_S:
            raise OAuthError(400, "invalid_client", "Invalid exp")
        return channel, claims

    def verify_assertion(self, form: dict[str, str]) -> ModuleChannel:
        return self._assertion(form)[0]

    def kids(self, form: dict[str, str]) -> dict[str, Any]:
        channel, _ = self._assertion(form)
        return {"kids": [t.key_id for t in self._live(channel.channel_id, "v2.1")]}

    # ---- verify / revoke --------------------------------------------------------------------

    def verify_v21(self, access_token: str) -> dict[str, Any]:
        try:
            jwt.get_unverified_header(access_token)
        except jwt.PyJWTError:
            raise OAuthError(400, "invalid_request", "The access token not JWS") from None
        record = self.issued.get(access_token)
        if record is not None and not record.revoked and record.kind == "v2.1":
            channel_id, expires_at_ms = record.channel_id, record.expires_at_ms
        elif record is None and (stateless := self._stateless(access_token)) is not None:
            channel_id, expires_at_ms = stateless  # what a module that verifies its stateless token expects
        else:
            raise OAuthError(400, "invalid_request", "The access token expired")
        remaining = (expires_at_ms - self.platform.clock.now_ms()) // 1000
        if remaining <= 0:
            raise OAuthError(400, "invalid_request", "The access token expired")
        return {"client_id": channel_id, "expires_in": remaining, "scope": "profile chat_message.write"}

    def revoke_v21(self, form: dict[str, str]) -> None:
        token = form.get("access_token") or ""
        try:
            jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise OAuthError(400, "invalid_request", "The access token not JWS") from None
        record = self.issued.get(token)
        if record is not None and record.kind == "v2.1":
            if self._channel_by_credentials(form.get("client_id"), form.get("client_secret")) is None:
                raise OAuthError(400, "invalid_client", "Invalid client credentials")
            record.revoked = True

    def verify_short_lived(self, access_token: str) -> dict[str, Any]:
        if not access_token or not access_token.isalnum():
            raise OAuthError(400, "invalid_request", "access_token in invalid format")
        record = self.issued.get(access_token)
        now = self.platform.clock.now_ms()
        if record is None or record.revoked or record.kind != "short" or record.expires_at_ms <= now:
            raise OAuthError(400, "invalid_request", "access_token invalid")
        return {"client_id": record.channel_id, "expires_in": (record.expires_at_ms - now) // 1000}

    def revoke_short_lived(self, access_token: str) -> None:
        if not access_token:
            raise OAuthError(400, "invalid_request")
        record = self.issued.get(access_token)
        if record is not None:
            record.revoked = True

    # ---- authentication ---------------------------------------------------------------------

    def authenticate(self, access_token: str) -> Channel:
        """The channel a bearer token belongs to; 401 in LINE's words otherwise."""
        record = self.issued.get(access_token)
        now = self.platform.clock.now_ms()
        if record is not None:
            if record.revoked or record.expires_at_ms <= now:
                raise unauthorized("The access token expired")
            channel_id = record.channel_id
        elif (cached := self._verified.get(access_token)) is not None and cached[1] > now:
            channel_id = cached[0]
        else:
            claims = self._claims(access_token)
            if claims is None:
                raise LineApiError(
                    401, "Authentication failed. Confirm that the access token in the authorization header is valid."
                )
            stateless = _stateless_claims(claims)
            if stateless is None or stateless[1] <= now:
                raise unauthorized("The access token expired")
            channel_id = stateless[0]
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[access_token] = stateless
        channel = self.platform.channel(channel_id)
        if channel is None:
            raise unauthorized("The access token is invalid")
        return channel

    def _claims(self, access_token: str) -> dict[str, Any] | None:
        """The claims of a token this emulator signed (expired or not); None for anything else."""
        try:
            claims: dict[str, Any] = jwt.decode(access_token, self.signing_key, algorithms=["HS256"],
                                                options={"verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError:
            return None
        return claims

    def _stateless(self, access_token: str) -> tuple[str, int] | None:
        """(channel ID, expiry ms) of a stateless token this emulator signed; None for anything else."""
        claims = self._claims(access_token)
        return _stateless_claims(claims) if claims is not None else None

    # ---- snapshot ---------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {"signing_key": self.signing_key, "issued": [asdict(t) for t in self.issued.values()]}

    def load(self, data: dict[str, Any]) -> None:
        self._verified.clear()
        self.signing_key = data.get("signing_key", self.signing_key)
        self.issued = {t["token"]: IssuedToken(**t) for t in data.get("issued", [])}


def _stateless_claims(claims: dict[str, Any]) -> tuple[str, int] | None:
    if claims.get("kind") != "stateless":
        return None
    return str(claims.get("cid")), int(claims.get("exp", 0)) * 1000
