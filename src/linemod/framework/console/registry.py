"""What extensions register with the operator console: pages, settings forms and template directories.

Only records, checked when registered: nothing here serves a request or touches the database beyond
`read_settings`. `app.console` (`linemod.framework.console.extension.Console`) is the face module authors
use; the routes read the same registry through `request.app.state.console` once the app is served.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.console.settings_forms import Field, SettingsForm, read_settings
from linemod.framework.console.templating import Templates
from linemod.framework.i18n import Catalogs

if TYPE_CHECKING:
    from linemod.framework.console.context import ConsoleContext

PageHandler = Callable[..., Awaitable[Any]]
DataTables = Mapping[str, Sequence[Mapping[str, Any]]]
"""A module's data about one OA: per table name, its rows (column name → a str, int, float, bool, None,
date or datetime value). What an OA's owner downloads as JSON, or one table as CSV."""
DataExporter = Callable[["ConsoleContext"], Awaitable[DataTables]]
RESERVED = {"team", "settings", "reauthorize", "invite", "billing"}
"""First path segments under /console/oas/{bot_id}/ that the console's own routes use."""


@dataclass(frozen=True)
class Page:
    """An extension page: served at /console/oas/{bot_id}{path} for `methods`, listed under `title`."""

    path: str
    title: str
    handler: PageHandler
    nav: bool = True
    methods: tuple[str, ...] = ("GET",)
    owner_only: bool = False


class ConsoleRegistry:
    """The pages, settings forms and templates of one module app's operator console."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.pages: list[Page] = []
        self.forms: dict[str, SettingsForm] = {}
        self.templates = Templates(catalogs)
        self.exporter: DataExporter | None = None

    def data_export(self, exporter: DataExporter) -> DataExporter:
        """Register what the OA's owner can download of the module's data (a decorator): `exporter(cx)`
        returns the tables of `cx.tenant.bot_id` only. Offered on the billing pages, notably before a
        cancellation, as CSV per table and as one JSON document.

        ```python
        @app.console.data_export
        async def export(cx: ConsoleContext) -> DataTables:
            rows = await cx.db.scalars(select(Shop).where(Shop.bot_id == cx.tenant.bot_id))
            return {"shops": [{"name": s.name} for s in rows]}
        ```
        """
        if self.exporter is not None:
            raise ValueError("a module registers one data export (it returns all its tables)")
        self.exporter = exporter
        return exporter

    def page(
        self,
        path: str,
        *,
        title: str,
        nav: bool = True,
        methods: Sequence[str] = ("GET",),
        owner_only: bool = False,
    ) -> Callable[[PageHandler], PageHandler]:
        """Add a page at /console/oas/{bot_id}{path}; `handler(cx: ConsoleContext, **path_params)` returns a
        response (usually `cx.render(...)`). `nav` lists it in the OA's navigation under `title`."""
        if not re.fullmatch(r"(/[A-Za-z0-9_\-{}.]+)+", path):
            raise ValueError(f"a console page path looks like /name or /name/{{param}}, not {path!r}")
        if path.split("/")[1] in RESERVED:
            raise ValueError(f"{path!r} is taken by the console itself ({', '.join(sorted(RESERVED))})")

        def decorator(handler: PageHandler) -> PageHandler:
            self.pages.append(Page(path, title, handler, nav, tuple(m.upper() for m in methods), owner_only))
            return handler

        return decorator

    def settings_form(
        self,
        name: str,
        *,
        title: str,
        fields: Iterable[Field],
        description: str | None = None,
        owner_only: bool = True,
    ) -> SettingsForm:
        """Add a settings form at /console/oas/{bot_id}/settings/{name}, listed under "Settings"."""
        if not re.fullmatch(r"[a-z0-9_\-]+", name) or name in self.forms:
            raise ValueError(f"settings form names are unique lower-case slugs: {name!r}")
        form = SettingsForm(name, title, tuple(fields), description, owner_only)
        self.forms[name] = form
        return form

    async def read_settings(self, session: AsyncSession, bot_id: str, name: str) -> dict[str, Any]:
        """The values of settings form `name` for an OA (defaults for what was never saved)."""
        return await read_settings(session, bot_id, self.forms[name])

    def add_templates(self, directory: str | Path) -> None:
        """Make the templates in `directory` available to `render` (searched before the framework's)."""
        self.templates.add_directory(directory)
