"""The consoles: the operator console (/console/: an OA's card, state, scopes, team, and the pages and
settings forms extensions add) and the provider console (/provider/: every tenant, event logs, dead letters,
detach, reconciliation, health). Server-rendered Jinja2 with htmx, Japanese by default.

The extension API is `app.console` (`Console`): see `linemod.framework.console.extension`.
"""

from linemod.framework.console.context import ConsoleContext
from linemod.framework.console.extension import LAYOUT, Console
from linemod.framework.console.settings_forms import Field, SettingsForm

__all__ = ["LAYOUT", "Console", "ConsoleContext", "Field", "SettingsForm"]
