"""How the control API reads and documents its bodies.

Its routes read any body as JSON (`JsonBodyRoute`), and its OpenAPI page documents the errors it
really gives: `{"message"}` with a 4xx status, a bad body included (400; the contract has no 422).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.types import Message, Receive

from linemod.emulator.errors import ControlError
from linemod.emulator.http.json_depth import CONTROL_API_MAX_DEPTH, nests_deeper_than

SETUP = "setup"
PEOPLE = "end users and the operator"
ADMIN = "the OA admin and LY Corporation"
TOOLS = "time, deliveries, faults, state"


class ErrorBody(BaseModel):
    """Every control-API error: a 400 for a body that does not fit its schema, else the rule's status."""

    message: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "refused: the body does not fit (400), or a rule says no"},
}


class JsonBodyRoute(APIRoute):
    """A control-API route that reads any body as JSON, whatever its Content-Type says.

    The control API always has (`curl -d` sends a form type, scripts often send none), while
    FastAPI parses only `application/json`; the body's checking is FastAPI's from there on, after
    a body nested too deeply to parse safely is refused (see `json_depth`).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def as_json(request: Request) -> Response:
            headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
            request.scope["headers"] = [*headers, (b"content-type", b"application/json")]
            receive = request.receive
            if takes_body:
                raw = await request.body()
                if nests_deeper_than(raw, CONTROL_API_MAX_DEPTH):
                    raise ControlError(400, f"the body nests more than {CONTROL_API_MAX_DEPTH} levels deep")
                receive = _replaying(raw, request.receive)
            return await handler(Request(request.scope, receive))

        return as_json


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` once more from the start, its body having been read already."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # what follows the body: a disconnect
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def document_errors_as_answered(app: FastAPI) -> None:
    """Drops the 422 FastAPI documents for every route with parameters: the emulator answers 400."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
