"""A lean router for the emulated LINE APIs.

LINE API handlers read the request themselves (LINE's own error answers for bad JSON, forms and
headers come from that), so FastAPI's parameter solving and response models would be pure
overhead on the hot path of load tests. These are plain Starlette routes with FastAPI-like
decorators; the control API keeps FastAPI for its OpenAPI page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Handler = Callable[..., Awaitable[Any]]  # a Response, or a JSON-able value for 200


class LineRouter:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, path: str, methods: list[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                # Rate limits are kept per path template, which Starlette does not record.
                request.scope["route"] = route
                result = await handler(request, **request.path_params)
                return result if isinstance(result, Response) else JSONResponse(result)

            route = Route(path, endpoint, methods=methods, name=handler.__name__)
            self.routes.append(route)
            return handler

        return register

    def get(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ["GET"])

    def post(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ["POST"])

    def put(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ["PUT"])

    def delete(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, ["DELETE"])
