"""The pages an OA admin sees at the end of an attach: a template and the framework's catalogs, so they
speak the consoles' languages (Japanese by default, English on request) with the same language rule."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from linemod.framework.i18n import N_, Catalogs, TranslatedEnvironments

TEMPLATES = Path(__file__).parent / "templates"
# kind -> (title, message); messages are English IDs with %(name)s placeholders, translated per page.
PAGES: dict[str, tuple[str, str]] = {
    "complete": (
        N_("Attach complete"),
        N_("The module is now attached to %(name)s. Granted scopes: %(scopes)s"),
    ),
    "denied": (
        N_("Attach cancelled"),
        N_("The attach was not approved on the LINE Official Account screen. Try again."),
    ),
    "code_expired": (
        N_("Authorization expired"),
        N_("The authorization code is invalid or has expired. Start again."),
    ),
    "default_active_conflict": (
        N_("This account cannot be attached"),
        N_(
            "This LINE Official Account already has another Default-Active module attached. Detach it first, "
            "then try again."
        ),
    ),
    "state_mismatch": (
        N_("This link cannot be used"),
        N_(
            "It was opened in a different browser than the one that started the attach, or the session was "
            "lost. Start again."
        ),
    ),
    "state_used_or_expired": (N_("This link was already used or has expired"), N_("Start again.")),
    "authorization_error": (N_("The attach failed"), N_("LINE answered: %(detail)s")),
    "token_failed": (N_("The attach failed"), N_("Calling LINE failed: %(detail)s")),
    "bad_callback": (N_("Bad request"), N_("Required parameters are missing. Start again.")),
}


class AttachPages:
    """Renders the result page of an attach in a language, from the app's catalogs."""

    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self._envs = TranslatedEnvironments(
            catalogs,
            lambda: Environment(
                loader=FileSystemLoader(str(TEMPLATES)),
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
            ),
        )

    def render(self, kind: str, lang: str, *, restart_url: str | None = None, **values: str) -> str:
        """A complete HTML page for `kind` ("complete" or a failure kind); every value is escaped."""
        title, message = PAGES.get(kind, PAGES["authorization_error"])
        placeholders = {"name": "", "scopes": "", "detail": "", **values}
        return self._envs.get(lang).get_template("attach/result.html").render(
            lang=lang,
            kind=kind,
            title=self.catalogs.gettext(lang, title),
            message=self.catalogs.gettext(lang, message, **placeholders),
            restart_url=restart_url,
        )
