"""The help desk's self-service pages in the consoles: the help center and its staff pages (knowledge/),
announcements (announcements/) and the staff reports (reports/). `mount_self_service` gives `mounting.py`
their routers and adds their template directories to the consoles' templates."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from linemod.framework.console.templating import Templates
from linemod.framework.support.announcements import routes as announcement_routes
from linemod.framework.support.knowledge import routes_help, routes_staff
from linemod.framework.support.reports import routes as report_routes

_HERE = Path(__file__).parent
TEMPLATE_DIRS = tuple(_HERE / package / "templates" for package in ("knowledge", "announcements", "reports"))


def mount_self_service(templates: Templates) -> list[APIRouter]:
    """The routers to serve; the templates they render become findable by `templates`."""
    for directory in TEMPLATE_DIRS:
        templates.add_directory(directory)
    return [
        routes_help.router,
        routes_staff.router,
        announcement_routes.operator_router,
        announcement_routes.staff_router,
        report_routes.router,
    ]
