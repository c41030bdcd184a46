"""The emulator's pages for people: the LINE app, the OA Manager, the inspector and set-up.

Server-rendered Jinja2 with htmx (a static file, no build step), Japanese by default, under
`/_pages/` (left out of the API request log). `install(app)` is all the emulator app calls.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from linemod.emulator.pages import (
    routes_app,
    routes_app_groups,
    routes_home,
    routes_inspector,
    routes_manager,
    routes_manager_groups,
    routes_setup,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "http" / "static"


def install(app: FastAPI) -> None:
    """Adds the pages' routes and `/static` to the emulator app."""
    # Flat, like the emulator's own routes: this FastAPI's include_router matches router by router.
    for module in (routes_home, routes_app, routes_app_groups, routes_manager, routes_manager_groups, routes_inspector,
                   routes_setup):
        app.router.routes.extend(module.router.routes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
