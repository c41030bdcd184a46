"""access.line.me's account-link screen: where a module's site sends the user with the link token it got from
`POST /v2/bot/user/{userId}/linkToken` and a nonce of its own (choice 37 in docs/emulator-behaviour.md).

The real screen links at once and shows the LINE app again; the emulator does the same (an `accountLink`
event) and says so on a page, since there is no LINE app to return to.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from linemod.emulator.errors import ConsentError, ControlError
from linemod.emulator.http.requests import platform_of
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.http.templating import templates

router = LineRouter()
NONCE_LENGTH = range(10, 256)


@router.get("/dialog/bot/accountLink")
async def account_link(request: Request) -> Response:
    token = request.query_params.get("linkToken", "")
    nonce = request.query_params.get("nonce", "")
    if not token or len(nonce) not in NONCE_LENGTH:
        raise ConsentError("linkToken and a nonce of 10 to 255 characters are required")
    try:
        result = platform_of(request).user_events.account_link(token, nonce)
    except ControlError as exc:
        raise ConsentError(exc.message) from None
    return templates.TemplateResponse(request, "account_link.html", {"result": result["result"]})
