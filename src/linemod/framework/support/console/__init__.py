"""The help desk's pages, on the consoles: what operators and provider staff see of `linemod.framework.support`.

web.py (what every page needs: the desk, forms with files, ticket IDs, refusals as 400 pages), sla_view.py
(SLA timers and states as a page shows them: pure), operator_tickets.py (/console/support: open a ticket with
the tenant's context, my tickets, a thread, reply, download, rate; the consent to "view as operator"),
rating.py (/support/rate: the CSAT mail's link, without sign-in), staff_queue.py (/provider/support: the queue
with filters and SLA order, creating a ticket on behalf of a tenant), staff_ticket.py (one ticket for staff:
context, thread, reply, internal note, 定型文, changes, audit log), canned_pages.py (定型文 management),
view_as.py (staff sessions under an operator's consent, and the staff access log). `mount()` serves them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from linemod.framework.console.services import ConsoleState

HERE = Path(__file__).parent
STATIC_PATH = "/console/support-static"


def mount(api: FastAPI, state: ConsoleState) -> list[APIRouter]:
    """Add the help desk's templates and static files; the routers to serve (the console includes them)."""
    from linemod.framework.support.console import (
        canned_pages,
        operator_tickets,
        rating,
        staff_queue,
        staff_ticket,
        view_as,
    )

    state.registry.templates.add_directory(HERE / "templates")
    api.mount(STATIC_PATH, StaticFiles(directory=str(HERE / "static")), name="support-static")
    return [
        operator_tickets.router,
        rating.router,
        staff_queue.router,
        staff_ticket.router,
        canned_pages.router,
        view_as.router,
    ]
