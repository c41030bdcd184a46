"""manager.line.biz: the authorize page (consent screen) and the attach token endpoint."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from linemod.emulator.errors import ConsentError
from linemod.emulator.http.forms import client_credentials, form_body
from linemod.emulator.http.requests import platform_of
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.http.templating import templates
from linemod.emulator.platform.attach import RedirectError

router = LineRouter()

SCOPE_LABELS = {
    "message:send": ("メッセージの送信", "Send messages"),
    "message:receive": ("メッセージの受信とチャット主導権", "Receive messages and control chats"),
    "account:manage": ("アカウントの管理（リッチメニュー・統計）", "Manage the account (rich menus, insights)"),
    "message:mark_as_read": ("既読にする", "Mark messages as read"),
    "message:templated_pnp": ("LINE通知メッセージ", "LINE notification messages"),
    "profile:read": ("プロフィールの取得", "Read user profiles"),
    "coupon:manage": ("クーポンの管理", "Manage coupons"),
    "crm:manage": ("CRM（チャットプラグイン）", "CRM (Chat Plugin)"),
}


@router.get("/module/auth/v1/authorize")
async def authorize(request: Request) -> Response:
    platform = platform_of(request)
    try:
        auth = platform.attach.begin(dict(request.query_params))
    except RedirectError as exc:
        return RedirectResponse(exc.url, status_code=302)
    channel = platform.module_channels[auth.client_id]
    candidates = [(a, platform.attach.ineligibility(auth, a)) for a in platform.accounts.values()
                  if a.status != "deleted"]
    lang = "en" if request.query_params.get("ui_locales", "").startswith("en") else "ja"
    return templates.TemplateResponse(request, "consent.html", {
        "auth": auth, "channel": channel, "candidates": candidates, "lang": lang,
        "scopes": [(s, SCOPE_LABELS.get(s, (s, s))) for s in auth.scopes],
        "eligible": [a for a, reason in candidates if reason is None],
    })


@router.post("/module/auth/v1/authorize")
async def consent(request: Request) -> Response:
    """The consent form's answer. The pending request ID doubles as the form's CSRF nonce:
    it is random, single-use and known only to the page that rendered it."""
    platform = platform_of(request)
    form = await request.form()
    auth = platform.attach.pending(str(form.get("request_id", "")))
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        raise ConsentError("Choose Link or Cancel.")
    bot_id = str(form.get("bot_id") or "")
    if decision == "approve" and not bot_id:
        eligible = platform.attach.eligible_accounts(auth)
        if not eligible:
            url = platform.attach.decide(auth, None, approve=False)
            return RedirectResponse(url, status_code=302)
        raise ConsentError("Choose the LINE Official Account to link.")
    url = platform.attach.decide(auth, bot_id or None, approve=decision == "approve")
    return RedirectResponse(url, status_code=302)


@router.post("/module/auth/v1/token")
async def attach_token(request: Request) -> JSONResponse:
    platform = platform_of(request)
    form = await form_body(request)
    return JSONResponse(platform.attach.exchange(client_credentials(request, form), form))
