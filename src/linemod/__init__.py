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
    from linemod.framework.clock import Clock, ManualClock, SystemClock
    from linemod.framework.console.context import ConsoleContext
    from linemod.framework.console.params import BadParameter, parse_day, parse_row_id
    from linemod.framework.console.settings_forms import Field, SettingsForm
    from linemod.framework.context import Context, JobContext, Transaction, Work
    from linemod.framework.dispatch import Handler, JobHandler
    from linemod.framework.i18n import N_
    from linemod.framework.line.chat_control import ChatControl
    from linemod.framework.line.client import LineClient, MissingScopeError, TenantNotAttachedError
    from linemod.framework.settings import Settings
    from linemod.framework.storage.database import run_module_migrations
    from linemod.framework.tenants.store import ReconcileReport, TenantInfo

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
    "parse_day": "linemod.framework.console.params",
    "parse_row_id": "linemod.framework.console.params",
    "Field": "linemod.framework.console.settings_forms",
    "SettingsForm": "linemod.framework.console.settings_forms",
    "N_": "linemod.framework.i18n",
    "ChatControl": "linemod.framework.line.chat_control",
    "LineClient": "linemod.framework.line.client",
    "MissingScopeError": "linemod.framework.line.client",
    "TenantNotAttachedError": "linemod.framework.line.client",
    "TenantInfo": "linemod.framework.tenants.store",
    "ReconcileReport": "linemod.framework.tenants.store",
    "run_module_migrations": "linemod.framework.storage.database",
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
    "BadParameter",
    "ChatControl",
    "Clock",
    "ConsoleContext",
    "Context",
    "Field",
    "Handler",
    "JobContext",
    "JobHandler",
    "LineClient",
    "ManualClock",
    "MissingScopeError",
    "ModuleApp",
    "ReconcileReport",
    "Settings",
    "SettingsForm",
    "SystemClock",
    "TenantInfo",
    "TenantNotAttachedError",
    "Transaction",
    "Work",
    "__version__",
    "parse_day",
    "parse_row_id",
    "run_module_migrations",
]
