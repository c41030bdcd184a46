"""linemod: build, run and test LINE Marketplace modules.

`from linemod import ModuleApp` is the framework's entry point. The emulator lives in
`linemod.emulator` and never imports the framework, so the framework is loaded lazily here: using
the emulator alone does not pay for SQLAlchemy and the rest.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_FRAMEWORK_EXPORTS = {
    "ModuleApp": "linemod.framework.app",
    "Settings": "linemod.framework.settings",
    "Context": "linemod.framework.context",
}


def __getattr__(name: str) -> Any:
    module_name = _FRAMEWORK_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'linemod' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = ["Context", "ModuleApp", "Settings", "__version__"]
