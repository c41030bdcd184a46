"""Attaching the module to an OA: the OAuth 2.0 authorization-code flow with PKCE (LINE's steps and scopes:
docs/emulator-behaviour.md, "Attaching a module" and "Scopes").

`begin()` makes a random alphanumeric `state` and a PKCE verifier, keeps them server-side (single use) and
in a signed cookie (bound to the browser), and builds the authorize URL. `finish()` checks both halves of
the state, turns LINE's `error` into a clear failure, calls the token endpoint with Basic auth, fetches the
OA's info and records the tenant. Re-running the flow for an attached OA adds scopes.

An attach started from the operator console carries the signed-in `account_id`; when it completes,
`on_owner(tenant, account_id)` makes that account an owner of the OA and names the page the browser goes to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import string
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import linebot.v3.moduleattach as moduleattach
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update

from linemod.framework.clock import Clock
from linemod.framework.i18n import LANG_COOKIE, pick_language
from linemod.framework.line.apis import LineApis, error_message
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import AttachStateRow, TenantState
from linemod.framework.tenants.attach_pages import AttachPages
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.known import KnownTenants
from linemod.framework.tenants.store import TenantStore

log = logging.getLogger("linemod.attach")
COOKIE_NAME = "linemod_attach"
ALPHANUMERIC = string.ascii_letters + string.digits
OwnerHook = Callable[[TenantInfo, int], Awaitable[str]]


class AttachError(Exception):
    """An attach that cannot complete; `kind` names the page shown, `status` its HTTP status."""

    def __init__(self, kind: str, detail: str = "", status: int = 400) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class AttachStart:
    authorize_url: str
    state: str
    cookie: str


@dataclass(frozen=True)
class AttachResult:
    tenant: TenantInfo
    account_id: int | None = None  # the console account that started the attach, if any


def random_alphanumeric(length: int) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AttachFlow:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        line: LineApis,
        tenants: TenantStore,
        known: KnownTenants,
        on_owner: OwnerHook | None = None,
    ) -> None:
        self.settings = settings
        self.on_owner = on_owner
        self.db = db
        self.clock = clock
        self.line = line
        self.tenants = tenants
        self.known = known
        self._cookies = URLSafeTimedSerializer(settings.signing_secret, salt="linemod-attach")

    async def begin(
        self,
        *,
        add_scopes: Sequence[str] = (),
        region: str | None = None,
        basic_search_id: str | None = None,
        brand_type: str | None = None,
        reauthorize: TenantInfo | None = None,
        account_id: int | None = None,
    ) -> AttachStart:
        """Start an attach (or, with `reauthorize`, a re-authorization of that OA that keeps its scopes);
        `account_id`: the signed-in console account that will own the OA."""
        scopes = set(self.settings.requested_scopes) | set(add_scopes)
        if reauthorize is not None:
            scopes |= set(reauthorize.scopes or ())
            basic_search_id = basic_search_id or reauthorize.basic_id
        state = random_alphanumeric(32)
        verifier = random_alphanumeric(64)
        params = {
            "scope": " ".join(sorted(scopes)),
            "region": region,
            "basic_search_id": basic_search_id,
            "brand_type": brand_type,
        }
        params = {k: v for k, v in params.items() if v}
        redirect_uri = self.settings.attach_redirect_uri
        async with self.db.transaction() as session:
            session.add(
                AttachStateRow(
                    state=state,
                    code_verifier=verifier,
                    redirect_uri=redirect_uri,
                    params_json=json.dumps(params),
                    created_at_ms=self.clock.now_ms(),
                    account_id=account_id,
                )
            )
        query = {
            "response_type": "code",
            "client_id": self.settings.channel_id,
            "redirect_uri": redirect_uri,
            "scope": params["scope"],
            "state": state,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            **{k: v for k, v in params.items() if k != "scope"},
        }
        encoded = urlencode(query, quote_via=_quote)  # type: ignore[arg-type]  # typeshed wants an overload
        url = f"{self.settings.manager_url}/module/auth/v1/authorize?{encoded}"
        return AttachStart(url, state, self._cookies.dumps(state))

    async def finish(self, query: Mapping[str, str], cookie: str | None) -> TenantInfo:
        """Complete an attach from the callback's query and the browser's cookie; raises `AttachError`."""
        return (await self.complete(query, cookie)).tenant

    async def complete(self, query: Mapping[str, str], cookie: str | None) -> AttachResult:
        """`finish()`, also telling which console account started the attach."""
        state = query.get("state") or ""
        try:
            cookie_state = self._cookies.loads(cookie or "", max_age=self.settings.attach_state_ttl_seconds)
        except BadSignature:
            cookie_state = None
        if not state or cookie_state != state:
            if state and await self._already_used(state):
                raise AttachError("state_used_or_expired")  # e.g. the completed page reloaded
            raise AttachError("state_mismatch")
        stored = await self._consume(state)
        if stored is None:
            raise AttachError("state_used_or_expired")
        if query.get("error"):
            raise _authorization_error(query["error"], query.get("error_description", ""))
        code = query.get("code")
        if not code:
            raise AttachError("bad_callback")
        params = json.loads(stored.params_json)
        try:
            response = await self.line.call_with_retries(
                lambda: self.line.attach.attach_module(
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=stored.redirect_uri,
                    code_verifier=stored.code_verifier,
                    _request_timeout=self.settings.api_timeout_seconds,
                    **params,
                )
            )
        except moduleattach.ApiException as exc:
            raise _token_error(exc) from exc
        tenant = TenantInfo(bot_id=response.bot_id, state=TenantState.ATTACHED, scopes=frozenset(response.scopes))
        self.known.remember(response.bot_id)
        try:
            profile = await self.line.for_tenant(tenant).get_bot_info()
        except Exception:
            # the attach itself succeeded; reconciliation fills the profile in later
            log.warning("attached %s but fetching its bot info failed", response.bot_id, exc_info=True)
            profile = None
        tenant = await self.tenants.record_attach(response.bot_id, response.scopes, profile)
        return AttachResult(tenant, stored.account_id)

    async def _already_used(self, state: str) -> bool:
        async with self.db.session() as session:
            row = await session.get(AttachStateRow, state)
            return row is not None and row.used_at_ms is not None

    async def _consume(self, state: str) -> AttachStateRow | None:
        now = self.clock.now_ms()
        oldest = now - self.settings.attach_state_ttl_seconds * 1000
        async with self.db.transaction() as session:
            result = await session.execute(
                update(AttachStateRow)
                .where(
                    AttachStateRow.state == state,
                    AttachStateRow.used_at_ms.is_(None),
                    AttachStateRow.created_at_ms >= oldest,
                )
                .values(used_at_ms=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await session.get(AttachStateRow, state)


def _quote(value: str, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    from urllib.parse import quote

    return quote(value, safe="", encoding=encoding, errors=errors)  # spaces as %20, as LINE documents


def _mentions_default_active(text: str) -> bool:
    lowered = text.lower().replace("-", " ").replace("_", " ")
    return "default active" in lowered


def _authorization_error(error: str, description: str) -> AttachError:
    if _mentions_default_active(description):
        return AttachError("default_active_conflict", description, 409)
    if error == "access_denied":
        return AttachError("denied", description, 403)
    return AttachError("authorization_error", f"{error}: {description}".strip(": "), 400)


def _token_error(exc: Exception) -> AttachError:
    status = getattr(exc, "status", 0) or 0
    message = error_message(exc)
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except ValueError:
        body = {}
    description = str(body.get("error_description") or message)
    if _mentions_default_active(description):
        return AttachError("default_active_conflict", description, 409)
    if status == 400 and body.get("error") in ("invalid_grant", None):
        return AttachError("code_expired", description, 400)
    return AttachError("token_failed", f"{status} {description}", 502)


def set_attach_cookie(response: Response, settings: Settings, cookie: str) -> None:
    """The browser half of the attach state, readable only by the callback."""
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=settings.attach_state_ttl_seconds,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path=settings.attach_path or "/",
    )


def attach_router(prefix: str, get_flow: Callable[[], AttachFlow], pages: AttachPages) -> APIRouter:
    """`GET {prefix}/start` (to LINE's consent screen) and `GET {prefix}/callback` (back from it, where
    `pages` answers in the language of `?lang=`, else the consoles' language cookie, else Japanese)."""
    router = APIRouter()

    @router.get(f"{prefix}/start", include_in_schema=False)
    async def start(request: Request) -> Response:
        flow = get_flow()
        q = request.query_params
        add_scopes = [s for value in q.getlist("add_scope") for s in value.replace(",", " ").split()]
        reauthorize = await flow.tenants.get(q["bot_id"]) if q.get("bot_id") else None
        begun = await flow.begin(
            add_scopes=add_scopes,
            region=q.get("region"),
            basic_search_id=q.get("basic_search_id"),
            brand_type=q.get("brand_type"),
            reauthorize=reauthorize,
        )
        response = RedirectResponse(begun.authorize_url, status_code=302)
        set_attach_cookie(response, flow.settings, begun.cookie)
        return response

    @router.get(f"{prefix}/callback", include_in_schema=False)
    async def callback(request: Request) -> Response:
        flow = get_flow()
        lang = pick_language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))
        restart = f"{prefix}/start"
        try:
            result = await flow.complete(dict(request.query_params), request.cookies.get(COOKIE_NAME))
        except AttachError as failure:
            page = pages.render(failure.kind, lang, restart_url=restart, detail=failure.detail)
            return HTMLResponse(page, status_code=failure.status)
        tenant = result.tenant
        if result.account_id is not None and flow.on_owner is not None:
            response: Response = RedirectResponse(await flow.on_owner(tenant, result.account_id), status_code=303)
            response.delete_cookie(COOKIE_NAME, path=prefix or "/")
            return response
        page = pages.render(
            "complete",
            lang,
            name=tenant.label,
            scopes=", ".join(sorted(tenant.scopes or ())),
        )
        response = HTMLResponse(page)
        response.delete_cookie(COOKIE_NAME, path=prefix or "/")
        return response

    return router
