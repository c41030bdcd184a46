"""docs/emulator-control-api.md is the contract outside tests rely on: every control route, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute

from linemod.emulator.http import (
    routes_control,
    routes_control_chats,
    routes_control_events,
    routes_control_groups,
    routes_control_insight,
)

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "emulator-control-api.md"


def _served() -> set[tuple[str, str]]:
    served = set()
    routers = (routes_control.router, routes_control_chats.router, routes_control_groups.router,
               routes_control_events.router, routes_control_events.uploads, routes_control_insight.router)
    for router in routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            served.update((method, route.path) for method in route.methods)
    return served


def _documented() -> set[tuple[str, str]]:
    rows = re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/_emulator/[^`]*)`", CONTRACT.read_text(), re.MULTILINE)
    return set(rows)


def test_every_control_route_is_documented_and_every_documented_route_is_served() -> None:
    served, documented = _served(), _documented()
    assert served - documented == set(), "routes missing from docs/emulator-control-api.md"
    assert documented - served == set(), "documented routes the emulator does not serve"
