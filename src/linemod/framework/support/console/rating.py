"""/support/rate: the link of the CSAT mail. It works without signing in, and its token does one thing only:
rate its own ticket (it signs nobody in and opens nothing else). Opening the link shows the choice; only
sending the form records it, so a mail scanner that follows links rates nothing."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from linemod.framework.console.web import ServicesDep, Who, check_csrf, html
from linemod.framework.i18n import N_
from linemod.framework.support.console.web import SupportDep, text_field
from linemod.framework.support.csat import CsatError
from linemod.framework.support.mail_out import CSAT_PATH
from linemod.framework.support.states import Csat

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
MAX_TOKEN = 100


@router.get(CSAT_PATH)
async def rate_form(request: Request, who: Who, services: ServicesDep) -> Response:
    token = request.query_params.get("token", "")[:MAX_TOKEN]
    rating = request.query_params.get("rating", "")
    values = {"token": token, "rating": rating if rating in (Csat.GOOD.value, Csat.BAD.value) else ""}
    return html(services, request, who, "support/rate.html", {"values": values, "done": False, "error": None})


@router.post(CSAT_PATH)
async def rate(request: Request, who: Who, services: ServicesDep, support: SupportDep) -> Response:
    form = await request.form()
    token, rating, reason = (
        text_field(form, "token", MAX_TOKEN),
        text_field(form, "rating", 8),
        text_field(form, "reason", 2000),
    )
    values = {"token": token, "rating": rating, "reason": reason}
    error = None
    if rating not in (Csat.GOOD.value, Csat.BAD.value):
        error = N_("Choose good or bad.")
    elif rating == Csat.BAD.value and not reason.strip():
        error = N_("Say what went wrong: a bad rating needs a reason.")
    else:
        try:
            await support.desk().tickets.rate_with_token(token, Csat(rating), reason)
        except CsatError:
            error = N_("This rating link is not valid, or the request is not solved.")
    status = 400 if error else 200
    return html(
        services, request, who, "support/rate.html", {"values": values, "done": error is None, "error": error}, status
    )
