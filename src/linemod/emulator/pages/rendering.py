"""Rendering the pages: the Jinja2 environment, the shared page context, and error answers.

Every page route uses `PageRoute`, which checks CSRF on unsafe methods and turns the platform's
errors into a page (or, for htmx requests, a short text the page shows as a toast) instead of the
control API's JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import PlainTextResponse, Response

from linemod.emulator.errors import ControlError
from linemod.emulator.http.templating import TEMPLATE_DIR
from linemod.emulator.pages import chat_view, csrf, flex, samples
from linemod.emulator.pages.i18n import LANG_COOKIE, Translator, language_of, requested_lang

PREFIX = "/_pages"
# LINE's home market: times on the pages are Japan time, whatever the server's zone is.
JST = timezone(timedelta(hours=9), "JST")
AVATAR_COLORS = ("#06c755", "#00b900", "#2f80ed", "#f2994a", "#9b51e0", "#eb5757", "#219653", "#56ccf2")


class PageError(Exception):
    """A page cannot be shown or an action cannot be done; `key` names the catalog's message."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


def _clock(ms: int | None, fmt: str) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(JST).strftime(fmt)


def hm(ms: int | None) -> str:
    return _clock(ms, "%H:%M")


def when(ms: int | None) -> str:
    return _clock(ms, "%Y-%m-%d %H:%M:%S")


def when_ms(ms: int | None) -> str:
    if ms is None:
        return "—"
    return _clock(ms, "%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d}"


def pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)


def avatar_color(seed: str) -> str:
    digest = hashlib.sha1(seed.encode()).digest()
    return AVATAR_COLORS[digest[0] % len(AVATAR_COLORS)]


def initial(name: str) -> str:
    return (name.strip() or "?")[0].upper()


def day(ms: int | None) -> str:
    return _clock(ms, "%Y/%m/%d")


def picker_value(value: object) -> str:
    """A datetime picker's `initial`/`min`/`max` as an <input> wants it (LINE also allows a lowercase t)."""
    return value.replace("t", "T") if isinstance(value, str) else ""


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters.update(hm=hm, when=when, when_ms=when_ms, day=day, pretty=pretty, avatar_color=avatar_color,
                             initial=initial, picker_value=picker_value)
templates.env.globals.update(flex=flex, PREFIX=PREFIX, text_parts=chat_view.text_parts, safe_uri=chat_view.safe_uri,
                             dom_id=chat_view.dom_id, sticker_glyph=samples.sticker_glyph)


def _url_with(request: Request, **changes: str | None) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in changes}
    query.update({k: v for k, v in changes.items() if v is not None})
    return request.url.path + ("?" + urlencode(query) if query else "")


def page_context(request: Request) -> dict[str, Any]:
    lang = language_of(request)
    token, _ = csrf.token_of(request)
    request.state.csrf_token = token  # the same token for the page and the cookie set with it
    return {
        "lang": lang,
        "t": Translator(lang),
        "csrf_token": token,
        "path": request.url.path,
        "lang_url": lambda code: _url_with(request, lang=code),
        "url_with": lambda **changes: _url_with(request, **changes),
        "is_htmx": request.headers.get("hx-request") == "true",
    }


def finish(request: Request, response: Response) -> Response:
    """Sets the cookies a page may owe: a new CSRF token, a language the query asked for."""
    token = getattr(request.state, "csrf_token", None)
    if token and request.cookies.get(csrf.COOKIE) != token:
        csrf.remember(response, token)
    asked = requested_lang(request)
    if asked and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, samesite="lax", path="/", max_age=365 * 24 * 3600)
    return response


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    ctx = page_context(request)
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)
    return finish(request, response)


def error_response(request: Request, status: int, key: str, *, detail: str | None = None,
                   values: Mapping[str, object] | None = None) -> Response:
    t = Translator(language_of(request))
    message = t(key, **(values or {}))
    if request.headers.get("hx-request") == "true":
        # htmx does not swap error answers; pages.js shows this text as a toast.
        return PlainTextResponse(f"{message} {detail}" if detail else message, status_code=status)
    return render(request, "pages/error.html", {"status": status, "message": message, "detail": detail},
                  status=status)


class PageRoute(APIRoute):
    """A page route: CSRF-checked on unsafe methods, with errors answered as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                await csrf.check(request)
                return await handler(request)
            except csrf.CsrfError:
                return error_response(request, 403, "error.csrf")
            except PageError as exc:
                return error_response(request, exc.status, exc.key, values=exc.values)
            except ControlError as exc:
                return error_response(request, exc.status, "error.platform", detail=exc.message)

        return guarded


def poll_shortcut(request: Request, state: dict[str, Any]) -> tuple[Response | None, int]:
    """What a chat page's poll (`?n=<bubbles shown>&k=<state key>`) needs: a reload when the page shows more
    than exists (the emulator was reset), 204 when nothing changed, else None and how many bubbles it has."""
    try:
        seen = int(request.query_params.get("n", "0"))
    except ValueError:
        seen = 0
    if seen > state["count"]:
        return Response(status_code=200, headers={"HX-Refresh": "true"}), seen
    if seen == state["count"] and request.query_params.get("k") == state["key"]:
        return Response(status_code=204), seen
    return None, seen
