"""The LINE Platform emulator: every module feature of the platform on one origin.

`create_app()` returns the ASGI application; `Platform` holds the state and the rules and
knows nothing of HTTP. The emulator never imports the framework.
"""

from linemod.emulator.http.app import create_app
from linemod.emulator.platform.world import Platform
from linemod.emulator.settings import EmulatorSettings

__all__ = ["EmulatorSettings", "Platform", "create_app"]
