"""Settings forms that extensions register: typed fields, validation, and storage per OA.

The framework renders the form inside the console, checks every value and stores the result as one JSON
object per (OA, form name) in `tenant_settings`. Reading returns the defaults for fields never saved, so an
extension can add a field later without a migration.

A form can act when it is saved, e.g. to bring the extension's own rows in line with the new values:

```python
booking = app.console.settings_form("booking", title=N_("Booking rules"), fields=[...])

@booking.on_saved
async def apply(cx: ConsoleContext, values: dict[str, Any]) -> None:
    await cx.db.execute(...)           # the same transaction as the saved values
```

The hooks run after the values are written, in registration order, inside the request's transaction:
what they write (and jobs they schedule with `cx.schedule()`) commits together with the values, and a hook
that raises rolls the save back.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.i18n import N_
from linemod.framework.registration import require_async
from linemod.framework.storage.models import TenantSettingRow

if TYPE_CHECKING:
    from linemod.framework.console.context import ConsoleContext

FieldKind = Literal["text", "textarea", "integer", "boolean", "choice"]
SavedHook = Callable[["ConsoleContext", dict[str, Any]], Awaitable[None]]
"""`async def hook(cx: ConsoleContext, values: dict[str, Any]) -> None`, run when a form was saved."""
SavedHookT = TypeVar("SavedHookT", bound=SavedHook)


@dataclass(frozen=True)
class Field:
    """One input of a settings form. `label`, `help` and choice labels are gettext message IDs."""

    name: str
    label: str
    kind: FieldKind = "text"
    default: Any = None
    help: str | None = None
    required: bool = False
    min: int | None = None
    max: int | None = None
    max_length: int = 2000
    choices: tuple[tuple[str, str], ...] = ()

    @classmethod
    def text(cls, name: str, label: str, default: str = "", **kw: Any) -> Field:
        return cls(name, label, "text", default, **kw)

    @classmethod
    def textarea(cls, name: str, label: str, default: str = "", **kw: Any) -> Field:
        return cls(name, label, "textarea", default, **kw)

    @classmethod
    def integer(cls, name: str, label: str, default: int = 0, **kw: Any) -> Field:
        return cls(name, label, "integer", default, **kw)

    @classmethod
    def boolean(cls, name: str, label: str, default: bool = False, **kw: Any) -> Field:
        return cls(name, label, "boolean", default, **kw)

    @classmethod
    def choice(
        cls, name: str, label: str, choices: Sequence[tuple[str, str]], default: str | None = None, **kw: Any
    ) -> Field:
        options = tuple(choices)
        return cls(name, label, "choice", default if default is not None else options[0][0], choices=options, **kw)

    def parse(self, raw: str | None) -> Any:
        """The typed value of a submitted string; raises `ValueError` with a message ID."""
        if self.kind == "boolean":
            return raw in ("on", "true", "1", "yes")
        value = (raw or "").strip()
        if not value:
            if self.required:
                raise ValueError(N_("This field is required."))
            return None if self.kind == "integer" else ""
        if self.kind == "integer":
            try:
                number = int(value)
            except ValueError:
                raise ValueError(N_("Enter a whole number.")) from None
            if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
                raise ValueError(N_("The number is out of range."))
            return number
        if self.kind == "choice" and value not in {v for v, _ in self.choices}:
            raise ValueError(N_("Choose one of the options."))
        if len(value) > self.max_length:
            raise ValueError(N_("The text is too long."))
        return value


@dataclass(frozen=True)
class SettingsForm:
    """A named group of fields shown at /console/oas/{bot_id}/settings/{name}."""

    name: str
    title: str
    fields: tuple[Field, ...]
    description: str | None = None
    owner_only: bool = True
    saved_hooks: list[SavedHook] = field(default_factory=list, compare=False, hash=False, repr=False)
    """What `on_saved` registered, in order."""

    def on_saved(self, hook: SavedHookT) -> SavedHookT:
        """Register `async def hook(cx, values)`, run each time the form is saved from the console: after the
        valid `values` (typed, every field) are written, in the same transaction (see the module docstring).
        `cx` is the `ConsoleContext` of the OA and the operator who saved. Usable as a decorator."""
        require_async("on_saved hook", hook)
        self.saved_hooks.append(hook)
        return hook

    async def saved(self, cx: ConsoleContext, values: dict[str, Any]) -> None:
        """Run the `on_saved` hooks (the console calls this after writing `values`)."""
        for hook in self.saved_hooks:
            await hook(cx, values)

    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields}

    def parse(self, form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Typed values and, per field name, the message ID of what is wrong with it."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in self.fields:
            try:
                values[f.name] = f.parse(form.get(f.name))
            except ValueError as problem:
                errors[f.name] = str(problem)
                values[f.name] = form.get(f.name, "")
        return values, errors


async def read_settings(session: AsyncSession, bot_id: str, form: SettingsForm) -> dict[str, Any]:
    row = await session.get(TenantSettingRow, (bot_id, form.name))
    stored = json.loads(row.values_json) if row else {}
    return {**form.defaults(), **{k: v for k, v in stored.items() if k in form.defaults()}}


async def write_settings(
    session: AsyncSession, bot_id: str, form: SettingsForm, values: dict[str, Any], *, now_ms: int, by: int | None
) -> None:
    row = await session.get(TenantSettingRow, (bot_id, form.name))
    text = json.dumps(values, ensure_ascii=False, sort_keys=True)
    if row is None:
        session.add(
            TenantSettingRow(bot_id=bot_id, name=form.name, values_json=text, updated_at_ms=now_ms, updated_by=by)
        )
    else:
        row.values_json, row.updated_at_ms, row.updated_by = text, now_ms, by
