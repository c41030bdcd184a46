"""The provider's billing console as the console mounts it: its routers, and its templates made available."""

from __future__ import annotations

from fastapi import APIRouter

from linemod.framework.billing.console import provider_actions, provider_pages
from linemod.framework.billing.console.provider_web import TEMPLATE_DIR
from linemod.framework.console.registry import ConsoleRegistry


def routers(registry: ConsoleRegistry) -> list[APIRouter]:
    """The billing pages' routers; their templates are added to `registry`'s."""
    registry.add_templates(TEMPLATE_DIR)
    return [provider_pages.router, provider_actions.router]
