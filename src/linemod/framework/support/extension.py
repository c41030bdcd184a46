"""`app.support`: what a module declares about its help desk, and the desk built from it per started runtime.

```python
from datetime import date, time
from linemod import BusinessCalendar, ModuleApp, Priority

app = ModuleApp()
app.support.business_hours(BusinessCalendar.weekdays(time(10), time(19), closed_days=[date(2027, 12, 31)]))
app.support.sla(Priority.URGENT, first_response=30, resolution=240)          # every plan
app.support.sla(Priority.HIGH, plan="pro", first_response=60, next_response=120)  # the "pro" plan only
app.support.configure(warn_before_minutes=30, escalate_to=None)
```

Targets are business minutes of the calendar (Japan's holidays closed). A priority (or plan) not declared
keeps the help desk's defaults (`sla.DEFAULT_TARGETS`). Declarations happen at import time; the desk the jobs
and the console pages share is built when the app first needs it after starting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from starlette.requests import Request

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.accounts.mailer import mailer_for
from linemod.framework.i18n import Catalogs
from linemod.framework.support.business_hours import BusinessCalendar
from linemod.framework.support.desk import SupportDesk
from linemod.framework.support.knowledge.search import suggest_articles
from linemod.framework.support.sla import DEFAULT_TARGETS, SlaPolicies, SlaTargets
from linemod.framework.support.states import Priority
from linemod.framework.support.suggestions import MAX_SUGGESTIONS, Article, ArticleSuggester
from linemod.framework.support.view_as import VIEW_AS_ROLE, ViewAs

if TYPE_CHECKING:
    from linemod.framework.runtime import Runtime


class Support:
    """The module's SLA policies, business hours and article suggestions (`app.support`)."""

    def __init__(self, catalogs: Catalogs, runtime: Callable[[], Runtime]) -> None:
        self._catalogs = catalogs
        self._runtime = runtime
        self._default: dict[Priority, SlaTargets] = dict(DEFAULT_TARGETS)
        self._plans: dict[str, dict[Priority, SlaTargets]] = {}
        self._calendar = BusinessCalendar()
        self._warn_before_minutes = 60
        self._escalate_to: int | None = None
        self.suggest_articles: ArticleSuggester = self.help_articles
        """Articles suggested while an operator writes a ticket: the help center's (`knowledge/search.py`) unless
        the module sets its own (`no_suggestions` turns them off)."""
        self._built: tuple[Runtime, SupportDesk, ViewAs] | None = None

    # ---- declarations -------------------------------------------------------------------------------

    def sla(
        self,
        priority: Priority | str,
        *,
        plan: str | None = None,
        first_response: int | None = None,
        next_response: int | None = None,
        resolution: int | None = None,
    ) -> SlaTargets:
        """Targets in business minutes for tickets of `priority` (of OAs on `plan`, or on any plan). None
        leaves that target out; a negative or zero target is refused."""
        for name, minutes in (
            ("first_response", first_response),
            ("next_response", next_response),
            ("resolution", resolution),
        ):
            if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0):
                raise ValueError(f"{name} must be a positive number of business minutes, not {minutes!r}")
        targets = SlaTargets(first_response, next_response, resolution)
        (self._plans.setdefault(plan, {}) if plan is not None else self._default)[Priority(priority)] = targets
        self._built = None
        return targets

    def business_hours(self, calendar: BusinessCalendar) -> None:
        """The hours SLA targets count (default: Monday to Friday 9:00 to 18:00 JST, Japan's holidays closed)."""
        if not isinstance(calendar, BusinessCalendar):
            raise TypeError("business_hours takes a BusinessCalendar, e.g. BusinessCalendar.weekdays(...)")
        self._calendar = calendar
        self._built = None

    def configure(self, *, warn_before_minutes: int | None = None, escalate_to: int | None = None) -> None:
        """When the assignee is warned before a due time, and which staff account a breach is handed to."""
        if warn_before_minutes is not None:
            if warn_before_minutes < 0:
                raise ValueError("warn_before_minutes cannot be negative")
            self._warn_before_minutes = warn_before_minutes
        self._escalate_to = escalate_to
        self._built = None

    @property
    def policies(self) -> SlaPolicies:
        """What the declarations add up to (what the desk's SLA clocks use)."""
        return SlaPolicies(
            default=dict(self._default),
            plans={plan: dict(targets) for plan, targets in self._plans.items()},
            calendar=self._calendar,
            warn_before_minutes=self._warn_before_minutes,
            escalate_to=self._escalate_to,
        )

    async def help_articles(self, text: str, lang: str) -> Sequence[Article]:
        """The help center's published articles for `text` (the default of `suggest_articles`)."""
        return await suggest_articles(self._runtime().db, text, lang, MAX_SUGGESTIONS)

    # ---- at run time --------------------------------------------------------------------------------

    def desk(self) -> SupportDesk:
        """The help desk of the started app (one per started runtime: a restarted app has new stores)."""
        return self._build()[1]

    def view_as(self) -> ViewAs:
        """Operators' consents, staff view sessions and the staff access log of the started app."""
        return self._build()[2]

    def _build(self) -> tuple[Runtime, SupportDesk, ViewAs]:
        runtime = self._runtime()
        if self._built is None or self._built[0] is not runtime:
            mailer = mailer_for(runtime.settings, runtime.db, runtime.clock)
            desk = SupportDesk.build(
                runtime.settings, runtime.db, runtime.clock, mailer, self._catalogs, policies=self.policies
            )
            self._built = (runtime, desk, ViewAs(runtime.db, runtime.clock))
        return self._built

    async def guest_role(self, request: Request, account: AccountInfo, bot_id: str) -> str | None:
        """Staff with a live view-as session see the OA's console read-only (GET only), each page logged."""
        if not account.provider_staff or request.method != "GET":
            return None
        session = await self.view_as().open_page(account, bot_id, request.url.path)
        return VIEW_AS_ROLE if session is not None else None
