"""定型文 (canned replies): texts staff insert into a reply, with `{{ variables }}` filled from the ticket.

Staff write the templates, so they are rendered in Jinja's sandbox (no attribute or method reaches Python
internals) and checked when saved: a variable the help desk does not provide is refused then, not found
missing by a customer reading "{{ opertor_name }}".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

VARIABLES = (
    "operator_name",  # the requester (accounts have no display name: their email address)
    "operator_email",
    "oa_name",
    "bot_id",
    "plan",
    "ticket_id",
    "ticket_subject",
    "staff_name",  # the staff member replying (their email address)
)
MAX_LENGTH = 20_000


class CannedReplyError(ValueError):
    """A template that does not parse, uses a variable the help desk does not provide, or is too long."""


def _environment() -> SandboxedEnvironment:
    # Plain text, mailed as such: no HTML escaping. StrictUndefined: a variable left out fails loudly.
    return SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)


def check_template(body: str) -> None:
    """Raise `CannedReplyError` unless `body` renders with the help desk's variables."""
    if len(body) > MAX_LENGTH:
        raise CannedReplyError(f"a canned reply is at most {MAX_LENGTH} characters")
    env = _environment()
    try:
        parsed = env.parse(body)
    except TemplateError as exc:
        raise CannedReplyError(f"the template does not parse: {exc}") from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(VARIABLES))
    if unknown:
        raise CannedReplyError(f"unknown variables: {', '.join(unknown)} (known: {', '.join(VARIABLES)})")


def render(body: str, values: Mapping[str, Any]) -> str:
    """`body` with the variables filled (each one the help desk knows is given, empty when it has no value)."""
    check_template(body)
    filled = {name: "" if values.get(name) is None else values[name] for name in VARIABLES}
    try:
        return _environment().from_string(body).render(filled)
    except TemplateError as exc:  # the sandbox refused something (an unsafe attribute, say)
        raise CannedReplyError(f"the template cannot be rendered: {exc}") from exc
