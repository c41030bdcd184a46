"""The reports page and its CSV (/provider/support/reports, staff only); `from` and `to` (YYYY-MM-DD, Japan
time) choose the days, anything else is a 400 page."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

import csv
import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from linemod.framework.console.services import ConsoleServices
from linemod.framework.console.web import PROVIDER, ServicesDep, Staff, check_csrf, html
from linemod.framework.support.reports.charts import bar_chart
from linemod.framework.support.reports.figures import (
    AGE_BUCKETS,
    BACKLOG_STATUSES,
    DateRange,
    Group,
    Report,
    build_report,
    today_in_japan,
)
from linemod.framework.support.sla import SlaPolicies
from linemod.framework.support.states import STATUS_LABELS

router = APIRouter(prefix=PROVIDER + "/support", dependencies=[Depends(check_csrf)], include_in_schema=False)


POLICIES = SlaPolicies()
"""The SLA policies the help desk's jobs run on (jobs.py builds its desk with the defaults)."""


async def _report(request: Request, services: ConsoleServices) -> Report:
    now = services.clock.now_ms()
    days = DateRange.parse(request.query_params.get("from"), request.query_params.get("to"), today_in_japan(now))
    return await build_report(services.db, POLICIES, now, days)


def hours(minutes: float | None) -> str:
    return "–" if minutes is None else f"{minutes / 60:.1f}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


@router.get("/reports")
async def reports(request: Request, who: Staff, services: ServicesDep) -> Response:
    report = await _report(request, services)

    def _(message: str) -> str:
        return services.templates.gettext(who.lang, message)

    charts = {
        "backlog": bar_chart(
            [(_(STATUS_LABELS[s]), [float(n) for n in report.backlog[s]]) for s in BACKLOG_STATUSES],
            [_(label) for label, _low, _high in AGE_BUCKETS],
            title=_("Open tickets by status and age"),
            stacked=True,
            show=lambda v: f"{v:.0f}",
        ),
        "times": bar_chart(
            [(_(g.label) if g.translate else g.label, _times(g)) for g in [report.overall, *report.by_staff]],
            [
                _("First response, median"),
                _("First response, 90th percentile"),
                _("Resolution, median"),
                _("Resolution, 90th percentile"),
            ],
            title=_("Business hours per staff member"),
            show=lambda v: f"{v:.1f} h",
        ),
        "rates": bar_chart(
            [(_(g.label) if g.translate else g.label, _rates(g)) for g in [report.overall, *report.by_plan]],
            [_("SLA hit rate"), _("CSAT")],
            title=_("SLA hit rate and CSAT per plan"),
            show=lambda v: f"{v:.0f} %",
        ),
    }
    values = {
        "report": report,
        "charts": charts,
        "hours": hours,
        "percent": percent,
        "statuses": BACKLOG_STATUSES,
        "status_labels": STATUS_LABELS,
        "age_buckets": AGE_BUCKETS,
        "query": request.url.query,
    }
    return html(services, request, who, "support/reports/reports.html", values)


def _times(group: Group) -> list[float | None]:
    first, resolution = group.first_response, group.resolution
    return [
        None if value is None else value / 60 for value in (first.median, first.p90, resolution.median, resolution.p90)
    ]


def _rates(group: Group) -> list[float | None]:
    return [None if v is None else v * 100 for v in (group.sla_rate, group.csat)]


CSV_COLUMNS = (
    "group",
    "key",
    "label",
    "tickets",
    "first_response_count",
    "first_response_median_minutes",
    "first_response_p90_minutes",
    "resolution_count",
    "resolution_median_minutes",
    "resolution_p90_minutes",
    "sla_met",
    "sla_breached",
    "sla_hit_rate",
    "csat_good",
    "csat_bad",
    "csat",
)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@router.get("/reports.csv")
async def reports_csv(request: Request, who: Staff, services: ServicesDep) -> Response:
    """One row per group (all, each staff member, each plan), then the backlog; minutes, not hours."""
    report = await _report(request, services)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    groups = [("all", report.overall)] + [("staff", g) for g in report.by_staff] + [("plan", g) for g in report.by_plan]
    for kind, g in groups:
        first, resolution = g.first_response, g.resolution
        writer.writerow(
            [
                kind,
                g.key,
                g.label,
                g.tickets,
                first.count,
                _cell(first.median),
                _cell(first.p90),
                resolution.count,
                _cell(resolution.median),
                _cell(resolution.p90),
                g.sla_met,
                g.sla_breached,
                _cell(g.sla_rate),
                g.csat_good,
                g.csat_bad,
                _cell(g.csat),
            ]
        )
    writer.writerow([])
    writer.writerow(["backlog_status", *[label for label, _low, _high in AGE_BUCKETS]])
    for status in BACKLOG_STATUSES:
        writer.writerow([status.value, *report.backlog[status]])
    name = f"support-report-{report.range.start.isoformat()}-{report.range.end.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM: Excel in Japan opens UTF-8 CSV as Shift_JIS without one
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
