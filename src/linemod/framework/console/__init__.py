"""The consoles: the operator console (/console/: an OA's card, state, scopes, team, and the pages and
settings forms extensions add) and the provider console (/provider/: every tenant, event logs, dead letters,
detach, reconciliation, health). Server-rendered Jinja2 with htmx, Japanese by default.

The extension API is `app.console` (`Console`): see `linemod.framework.console.extension`. The layers, each
importing only those before it: params.py (IDs and dates read from addresses), registry.py (what extensions
register), access.py (who is asking), services.py (what routes use at run time), web.py (dependencies,
rendering), context.py (`ConsoleContext`), routes_*.py (module-level routers), mounting.py (into a FastAPI
app), extension.py (`app.console`).
"""

from linemod.framework.console.context import ConsoleContext
from linemod.framework.console.extension import Console
from linemod.framework.console.settings_forms import Field, SettingsForm
from linemod.framework.console.templating import LAYOUT

__all__ = ["LAYOUT", "Console", "ConsoleContext", "Field", "SettingsForm"]
