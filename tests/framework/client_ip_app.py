"""The module `linemod serve` runs in the client-IP test (settings come from LINEMOD_*): it says which client
IP the consoles' limits would count a request by."""

from __future__ import annotations

from fastapi import Request

from linemod.framework.app import ModuleApp
from linemod.framework.console.web import client_ip

app = ModuleApp(upgrade_on_start=True)


@app.router.get("/client-ip")
async def seen_client_ip(request: Request) -> dict[str, str]:
    return {"ip": client_ip(request)}
