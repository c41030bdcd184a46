"""The module's data about one OA, for its owner to take along (offered on the cancellation page): one JSON
document of every table, or one table as CSV (UTF-8 with a BOM, which Excel in Japan needs to read it).

What the tables are is the module's: `app.console.data_export` registers a function returning them for
`cx.tenant.bot_id`, in the console's transaction. Owners only: it holds the OA's customers.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from linemod.framework.billing.console.operator_access import BillingOa, Owner
from linemod.framework.console.context import ConsoleContext
from linemod.framework.console.registry import DataTables
from linemod.framework.console.web import CONSOLE, PageNotFound, check_csrf

router = APIRouter(prefix=CONSOLE, dependencies=[Depends(check_csrf)], include_in_schema=False)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with these is a formula to a spreadsheet (CSV injection): it is written with a quote."""


async def _tables(request: Request, oa: BillingOa) -> DataTables:
    exporter = oa.services.registry.exporter
    if exporter is None:
        raise PageNotFound()
    async with oa.services.db.transaction() as session:
        return await exporter(ConsoleContext(oa.services, request, oa.access, session))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _cell(value: Any) -> str:
    text = "" if value is None else str(_plain(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return "\ufeff" + out.getvalue()


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(body.encode(), media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/oas/{bot_id}/billing/export.json")
async def export_json(request: Request, oa: Owner) -> Response:
    tables = await _tables(request, oa)
    document = {
        "bot_id": oa.bot_id,
        "exported_at_ms": oa.services.clock.now_ms(),
        "tables": {name: [{k: _plain(v) for k, v in row.items()} for row in rows] for name, rows in tables.items()},
    }
    return _download(json.dumps(document, ensure_ascii=False, indent=1), "application/json",
                     f"{oa.bot_id}-export.json")


@router.get("/oas/{bot_id}/billing/export/{table}.csv")
async def export_csv(request: Request, oa: Owner, table: str) -> Response:
    tables = await _tables(request, oa)
    if table not in tables:
        raise PageNotFound()
    return _download(to_csv(tables[table]), "text/csv; charset=utf-8", f"{oa.bot_id}-{table}.csv")


@router.get("/oas/{bot_id}/billing/export")
async def export_page(request: Request, oa: Owner) -> Response:
    tables = await _tables(request, oa)
    counts = [(name, len(rows)) for name, rows in tables.items()]
    return oa.page(request, "billing/operator/export.html", tables=counts)
