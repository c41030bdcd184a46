"""linemod: build, run and test LINE Marketplace modules.

Everything a module author uses is importable from here, typed (see `docs/api.md`):

```python
from linemod import Context, ModuleApp
```

The emulator lives in `linemod.emulator` and never imports the framework, so the framework is loaded lazily:
using the emulator alone does not pay for SQLAlchemy and the rest. Type checkers see the plain imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from linemod.framework.app import ModuleApp
    from linemod.framework.billing.catalog import (
        CatalogError,
        CatalogWarning,
        Limit,
        Meter,
        Plan,
        Price,
        Tier,
        UsageCharge,
    )
    from linemod.framework.billing.changes import BillingStateError, PlanChangePreview, ReauthorizationRequired
    from linemod.framework.billing.coupons import Coupon
    from linemod.framework.billing.entitlements import BillingAccess, LimitStatus, SubscriptionInfo
    from linemod.framework.billing.events import BillingEvent, BillingEventType, BillingHandler
    from linemod.framework.billing.extension import Billing
    from linemod.framework.billing.lines import BillableLine
    from linemod.framework.billing.periods import Period
    from linemod.framework.billing.policy import BillingPolicy
    from linemod.framework.billing.states import SubscriptionStatus
    from linemod.framework.clock import Clock, ManualClock, SystemClock
    from linemod.framework.console.context import ConsoleContext
    from linemod.framework.console.params import BadParameter, parse_day, parse_row_id
    from linemod.framework.console.registry import DataExporter, DataTables
    from linemod.framework.console.settings_forms import Field, SettingsForm
    from linemod.framework.context import Context, JobContext, Transaction, Work
    from linemod.framework.dispatch import Handler, JobHandler
    from linemod.framework.i18n import N_
    from linemod.framework.line.chat_control import ChatControl
    from linemod.framework.line.client import LineClient, MissingScopeError, TenantNotAttachedError
    from linemod.framework.settings import Settings
    from linemod.framework.storage.database import run_module_migrations
    from linemod.framework.support.business_hours import BusinessCalendar
    from linemod.framework.support.extension import Support
    from linemod.framework.support.inbox.handler_api import HandlerSupport
    from linemod.framework.support.inbox.service import Inquiry, open_inquiries
    from linemod.framework.support.sla import SlaTargets
    from linemod.framework.support.states import Priority
    from linemod.framework.support.suggestions import Article, ArticleSuggester
    from linemod.framework.tenants.info import TenantInfo
    from linemod.framework.tenants.store import ReconcileReport

_EXPORTS: dict[str, str] = {
    "ModuleApp": "linemod.framework.app",
    "Settings": "linemod.framework.settings",
    "Context": "linemod.framework.context",
    "JobContext": "linemod.framework.context",
    "Transaction": "linemod.framework.context",
    "Work": "linemod.framework.context",
    "Handler": "linemod.framework.dispatch",
    "JobHandler": "linemod.framework.dispatch",
    "Clock": "linemod.framework.clock",
    "SystemClock": "linemod.framework.clock",
    "ManualClock": "linemod.framework.clock",
    "ConsoleContext": "linemod.framework.console.context",
    "BadParameter": "linemod.framework.console.params",
    "DataExporter": "linemod.framework.console.registry",
    "DataTables": "linemod.framework.console.registry",
    "parse_day": "linemod.framework.console.params",
    "parse_row_id": "linemod.framework.console.params",
    "Field": "linemod.framework.console.settings_forms",
    "SettingsForm": "linemod.framework.console.settings_forms",
    "N_": "linemod.framework.i18n",
    "ChatControl": "linemod.framework.line.chat_control",
    "LineClient": "linemod.framework.line.client",
    "MissingScopeError": "linemod.framework.line.client",
    "TenantNotAttachedError": "linemod.framework.line.client",
    "TenantInfo": "linemod.framework.tenants.info",
    "ReconcileReport": "linemod.framework.tenants.store",
    "run_module_migrations": "linemod.framework.storage.database",
    "Billing": "linemod.framework.billing.extension",
    "BillingPolicy": "linemod.framework.billing.policy",
    "Price": "linemod.framework.billing.catalog",
    "Tier": "linemod.framework.billing.catalog",
    "UsageCharge": "linemod.framework.billing.catalog",
    "Limit": "linemod.framework.billing.catalog",
    "Plan": "linemod.framework.billing.catalog",
    "Meter": "linemod.framework.billing.catalog",
    "Coupon": "linemod.framework.billing.coupons",
    "CatalogError": "linemod.framework.billing.catalog",
    "CatalogWarning": "linemod.framework.billing.catalog",
    "BillingAccess": "linemod.framework.billing.entitlements",
    "LimitStatus": "linemod.framework.billing.entitlements",
    "SubscriptionInfo": "linemod.framework.billing.entitlements",
    "SubscriptionStatus": "linemod.framework.billing.states",
    "PlanChangePreview": "linemod.framework.billing.changes",
    "ReauthorizationRequired": "linemod.framework.billing.changes",
    "BillingStateError": "linemod.framework.billing.changes",
    "BillingEvent": "linemod.framework.billing.events",
    "BillingEventType": "linemod.framework.billing.events",
    "BillingHandler": "linemod.framework.billing.events",
    "BillableLine": "linemod.framework.billing.lines",
    "Period": "linemod.framework.billing.periods",
    "HandlerSupport": "linemod.framework.support.inbox.handler_api",
    "Inquiry": "linemod.framework.support.inbox.service",
    "open_inquiries": "linemod.framework.support.inbox.service",
    "Support": "linemod.framework.support.extension",
    "BusinessCalendar": "linemod.framework.support.business_hours",
    "SlaTargets": "linemod.framework.support.sla",
    "Priority": "linemod.framework.support.states",
    "Article": "linemod.framework.support.suggestions",
    "ArticleSuggester": "linemod.framework.support.suggestions",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'linemod' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "N_",
    "Article",
    "ArticleSuggester",
    "BadParameter",
    "BillableLine",
    "Billing",
    "BillingAccess",
    "BillingEvent",
    "BillingEventType",
    "BillingHandler",
    "BillingPolicy",
    "BillingStateError",
    "BusinessCalendar",
    "CatalogError",
    "CatalogWarning",
    "ChatControl",
    "Clock",
    "ConsoleContext",
    "Context",
    "Coupon",
    "DataExporter",
    "DataTables",
    "Field",
    "Handler",
    "HandlerSupport",
    "Inquiry",
    "JobContext",
    "JobHandler",
    "Limit",
    "LimitStatus",
    "LineClient",
    "ManualClock",
    "Meter",
    "MissingScopeError",
    "ModuleApp",
    "Period",
    "Plan",
    "PlanChangePreview",
    "Price",
    "Priority",
    "ReauthorizationRequired",
    "ReconcileReport",
    "Settings",
    "SettingsForm",
    "SlaTargets",
    "SubscriptionInfo",
    "SubscriptionStatus",
    "Support",
    "SystemClock",
    "TenantInfo",
    "TenantNotAttachedError",
    "Tier",
    "Transaction",
    "UsageCharge",
    "Work",
    "__version__",
    "open_inquiries",
    "parse_day",
    "parse_row_id",
    "run_module_migrations",
]
