"""Attaching a module to an OA through OAuth 2.0 (docs/emulator-behaviour.md: rules 1–17).

The consent screen and the control API both go through `begin()` then `decide()`; the module's
backend finishes with `exchange()`, which is what attaches (choice 13).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from linemod.emulator import ids
from linemod.emulator.errors import ConsentError, OAuthError
from linemod.emulator.platform.entities import Attachment, ModuleChannel, OfficialAccount

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform

KNOWN_SCOPES = (
    "message:send", "message:receive", "account:manage", "message:mark_as_read", "message:templated_pnp",
    "profile:read", "coupon:manage", "crm:manage",
)
ECHOED_PARAMS = ("region", "basic_search_id", "scope", "brand_type")


@dataclass
class AuthorizationRequest:
    id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str
    region: str | None = None
    basic_search_id: str | None = None
    brand_types: list[str] = field(default_factory=list)
    code_challenge: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # as sent, for the token call's echo check
    created_at_ms: int = 0


@dataclass
class AuthorizationCode:
    code: str
    request: AuthorizationRequest
    bot_id: str
    issued_at_ms: int
    used: bool = False


class RedirectError(Exception):
    """An authorize request refused by redirecting back with `error` (the redirect URI is trusted)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def with_query(url: str, params: dict[str, str]) -> str:
    """Appends params to a URL, keeping the query it already had (rule 2)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class AttachArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.requests: dict[str, AuthorizationRequest] = {}
        self.codes: dict[str, AuthorizationCode] = {}

    # ---- the authorize request --------------------------------------------------------------

    def begin(self, params: dict[str, str]) -> AuthorizationRequest:
        """Validates an authorize request. Raises ConsentError (error page, rule 4) for an untrusted
        client or redirect URI, RedirectError for anything the module itself got wrong."""
        client_id = params.get("client_id", "")
        channel = self.platform.module_channels.get(client_id)
        if channel is None:
            raise ConsentError("client_id is missing or is not a module channel.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or redirect_uri not in channel.redirect_uris:
            raise ConsentError("redirect_uri is not registered for this module channel.")
        state = params.get("state", "")
        if not ids.STATE_RE.match(state):
            # Choice 30: a state that is not plain alphanumeric cannot be echoed safely.
            raise ConsentError("state must be 1 to 512 alphanumeric characters.")

        def refuse(error: str, description: str) -> RedirectError:
            return RedirectError(with_query(redirect_uri, {
                "error": error, "error_description": description, "state": state}))

        if params.get("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        scopes = [s for s in params.get("scope", "").split(" ") if s]
        if not scopes:
            raise refuse("invalid_scope", "scope is required")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise refuse("invalid_scope", f"unknown scope: {' '.join(unknown)}")
        region = params.get("region") or None
        if region is not None and region not in ("JP", "TW"):
            raise refuse("invalid_request", "region must be JP or TW")
        brand_types = [b for b in (params.get("brand_type") or "").split(" ") if b]
        if any(b not in ("premium", "verified", "unverified") for b in brand_types):
            raise refuse("invalid_request", "brand_type must be premium, verified or unverified")
        method = params.get("code_challenge_method")
        challenge = params.get("code_challenge") or None
        if method is not None and method != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if method is not None and challenge is None:
            raise refuse("invalid_request", "code_challenge is required with code_challenge_method")
        basic = params.get("basic_search_id") or None
        request = AuthorizationRequest(
            id=ids.opaque_token(24),
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=list(dict.fromkeys(scopes)),
            state=state,
            region=region,
            basic_search_id=("@" + basic.lstrip("@")) if basic else None,  # choice 32: both forms
            brand_types=brand_types,
            code_challenge=challenge,
            params={k: params[k] for k in ECHOED_PARAMS if params.get(k)},
            created_at_ms=self.platform.clock.now_ms(),
        )
        self.requests[request.id] = request
        return request

    def ineligibility(self, request: AuthorizationRequest, account: OfficialAccount) -> str | None:
        """Why this OA cannot be chosen for this request, or None (rules 5–8, choice 6)."""
        channel = self.platform.module_channels[request.client_id]
        if account.status != "active":
            return "this account is suspended or deleted"
        if request.basic_search_id and account.basic_id != request.basic_search_id:
            return f"only {request.basic_search_id} can be attached"
        if request.region and account.region != request.region:
            return f"only accounts in region {request.region} can be attached"
        if request.brand_types and account.brand_type not in request.brand_types:
            return f"only {', '.join(request.brand_types)} accounts can be attached"
        if channel.default_active:
            other = self.platform.default_active_module(account.bot_id)
            if other is not None and other.channel_id != channel.channel_id:
                return f"another Default-Active module ({other.name}) is already attached"
        return None

    def eligible_accounts(self, request: AuthorizationRequest) -> list[OfficialAccount]:
        return [a for a in self.platform.accounts.values() if self.ineligibility(request, a) is None]

    def decide(self, request: AuthorizationRequest, bot_id: str | None, approve: bool) -> str:
        """The admin's answer on the consent screen; returns where the browser goes next."""
        self.requests.pop(request.id, None)
        if not approve:
            return with_query(request.redirect_uri, {
                "error": "access_denied", "error_description": "The administrator refused the request.",
                "state": request.state})
        account = self.platform.accounts.get(bot_id or "")
        if account is None:
            raise ConsentError(f"unknown account {bot_id}")
        reason = self.ineligibility(request, account)
        if reason is not None:
            return with_query(request.redirect_uri, {
                "error": "access_denied", "error_description": f"The account cannot be attached: {reason}.",
                "state": request.state})
        code = AuthorizationCode(ids.opaque_token(20), request, account.bot_id, self.platform.clock.now_ms())
        self.codes[code.code] = code
        return with_query(request.redirect_uri, {"code": code.code, "state": request.state})

    def pending(self, request_id: str) -> AuthorizationRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise ConsentError("This authorization request has expired or was already answered.")
        return request

    # ---- the token call ---------------------------------------------------------------------

    def authenticate_client(self, basic: tuple[str, str] | None, form: dict[str, str]) -> ModuleChannel:
        client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
        channel = self.platform.module_channels.get(client_id or "")
        if channel is None or not secret or not hmac.compare_digest(channel.channel_secret.encode(), secret.encode()):
            raise OAuthError(400, "invalid_client", "Client authentication failed.")
        return channel

    def exchange(self, basic: tuple[str, str] | None, form: dict[str, str]) -> dict[str, Any]:
        """`POST /module/auth/v1/token`: checks everything, then attaches (rules 9–15)."""
        channel = self.authenticate_client(basic, form)
        if form.get("grant_type") != "authorization_code":
            raise OAuthError(400, "unsupported_grant_type", "grant_type must be authorization_code.")
        if not form.get("code") or not form.get("redirect_uri"):
            raise OAuthError(400, "invalid_request", "code and redirect_uri are required.")
        code = self.codes.get(form["code"])
        now = self.platform.clock.now_ms()
        if code is None or code.request.client_id != channel.channel_id:
            raise OAuthError(400, "invalid_grant", "The authorization code is invalid.")
        if code.used:
            raise OAuthError(400, "invalid_grant", "The authorization code has already been used.")
        if now - code.issued_at_ms > self.platform.settings.code_lifetime_seconds * 1000:
            raise OAuthError(400, "invalid_grant", "The authorization code has expired.")
        request = code.request
        if form["redirect_uri"] != request.redirect_uri:
            raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request.")
        if request.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier or not hmac.compare_digest(s256(verifier), request.code_challenge):
                raise OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge.")
        for key in ECHOED_PARAMS:
            # Choice 10: a value echoed from the authorize URL must match; omitting it is tolerated.
            sent = request.params.get(key)
            echoed = form.get(key)
            if key == "basic_search_id" and sent is not None and echoed is not None:
                sent, echoed = sent.lstrip("@"), echoed.lstrip("@")  # choice 32: both forms
            if sent is not None and echoed is not None and echoed != sent:
                raise OAuthError(400, "invalid_request", f"{key} does not match the authorization request.")
        code.used = True
        account = self.platform.accounts.get(code.bot_id)
        if account is None:
            raise OAuthError(400, "invalid_grant", "The account no longer exists.")
        reason = self.ineligibility(request, account)
        if reason is not None:
            raise OAuthError(403, "access_denied", f"The account cannot be attached: {reason}.")
        return self.attach(channel, account, request.scopes)

    def attach(self, channel: ModuleChannel, account: OfficialAccount, scopes: list[str]) -> dict[str, Any]:
        key = (channel.channel_id, account.bot_id)
        existing = self.platform.attachments.get(key)
        now = self.platform.clock.now_ms()
        # Choice 12: re-authorization keeps the attachment and replaces the scopes.
        attachment = Attachment(channel.channel_id, account.bot_id, list(scopes),
                                existing.attached_at_ms if existing else now)
        self.platform.attachments[key] = attachment
        if existing is None and channel.default_active:
            self.platform.chat_control.reset_account(account)
        self.platform.webhooks.module_event(channel, attachment, account, {
            "type": "module",
            "module": {"type": "attached", "botId": account.bot_id, "scopes": list(scopes)},
        })
        return {"bot_id": account.bot_id, "scopes": list(scopes)}

    # ---- snapshot ---------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {"requests": [asdict(r) for r in self.requests.values()],
                "codes": [asdict(c) for c in self.codes.values()]}

    def load(self, data: dict[str, Any]) -> None:
        self.requests = {r["id"]: AuthorizationRequest(**r) for r in data.get("requests", [])}
        self.codes = {}
        for c in data.get("codes", []):
            c = dict(c)
            c["request"] = AuthorizationRequest(**c["request"])
            self.codes[c["code"]] = AuthorizationCode(**c)
