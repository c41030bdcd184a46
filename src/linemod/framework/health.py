"""`GET /healthz`: whether this process should be sent requests, for a proxy's or load balancer's checks and a
service manager's readiness probe.

Ready means: not draining (a SIGTERM starts the drain, see `serving.ModuleServer`) and the database answers a
`SELECT 1` within its connect timeout. It reads nothing else: a check polled every second by every balancer
must cost next to nothing, so the queue's figures are on `/metrics`, not here.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from linemod.framework.runtime import Runtime
from linemod.framework.storage.direct_sql import DirectConnection


async def _select_one(connection: DirectConnection) -> None:
    await connection.fetch("SELECT 1")


def health_router(runtime: Callable[[], Runtime], draining: Callable[[], bool]) -> APIRouter:
    """The `/healthz` route: 200 `{"ok": true}` when ready, else 503 saying why (`draining`, `database`)."""
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def health() -> JSONResponse:
        if draining():
            return JSONResponse({"ok": False, "draining": True}, status_code=503)
        rt = runtime()
        try:
            timeout = rt.settings.database_connect_timeout_seconds
            await rt.db.direct.run(_select_one, read_only=True, one_statement=True, timeout=timeout)
        except Exception as exc:  # down, refusing connections, or not answering: not ready, whatever the cause
            reason = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
            return JSONResponse({"ok": False, "database": reason}, status_code=503)
        return JSONResponse({"ok": True, "draining": False})

    return router
