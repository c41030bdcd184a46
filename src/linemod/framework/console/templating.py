"""The Jinja2 environments of the consoles: one per language, gettext installed (newstyle), extension
template directories searched before the framework's own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from linemod.framework.i18n import Catalogs, TranslatedEnvironments

TEMPLATE_DIR = Path(__file__).parent / "templates"
BILLING_TEMPLATE_DIR = Path(__file__).parents[1] / "billing" / "console" / "templates"
"""The billing pages' templates (and the billing banner of the OA layout)."""
STATIC_DIR = Path(__file__).parent / "static"
# Operators are Japanese businesses; the provider's staff read the same clock. Times are shown in JST.
DISPLAY_ZONE = ZoneInfo("Asia/Tokyo")
LAYOUT = "console/oa_layout.html"
"""The template extension pages extend (also given to templates as `console_layout`)."""


def format_ms(value: int | None, seconds: bool = False) -> str:
    if not value:
        return "-"
    moment = datetime.fromtimestamp(value / 1000, UTC).astimezone(DISPLAY_ZONE)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


class Templates:
    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._loaders: list[FileSystemLoader] = [FileSystemLoader(str(TEMPLATE_DIR)),
                                                 FileSystemLoader(str(BILLING_TEMPLATE_DIR))]
        self._envs = TranslatedEnvironments(catalogs, self._make_env)

    def add_directory(self, directory: str | Path) -> None:
        """Search `directory` first (an extension's templates; it may also override framework templates).
        Adding a directory again changes nothing (an app mounted twice adds its directories twice)."""
        if any(str(directory) in loader.searchpath for loader in self._loaders):
            return
        self._loaders.insert(0, FileSystemLoader(str(directory)))
        self._envs.clear()

    def env(self, lang: str) -> Environment:
        return self._envs.get(lang)

    def _make_env(self) -> Environment:
        env = Environment(
            loader=ChoiceLoader(list(self._loaders)),
            autoescape=select_autoescape(["html"], default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["datetime"] = format_ms
        return env

    def render(self, lang: str, template: str, values: dict[str, Any]) -> str:
        return self.env(lang).get_template(template).render(values)

    def gettext(self, lang: str, message: str, **values: Any) -> str:
        return self.catalogs.gettext(lang, message, **values)
