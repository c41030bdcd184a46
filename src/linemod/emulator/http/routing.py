"""A lean router for the emulated LINE APIs.

LINE API handlers read the request themselves (LINE's own error answers for bad JSON, forms and
headers come from that), so FastAPI's parameter solving and response models would be pure
overhead on the hot path of load tests. These are plain Starlette routes with FastAPI-like
decorators; the control API keeps FastAPI for its OpenAPI page.

One route per path, answering 405 itself for other methods: the app mounts a catch-all beneath
these routes, which would otherwise take a wrong-method request and answer 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Handler = Callable[..., Awaitable[Any]]  # a Response, or a JSON-able value for 200


class LineRouter:
    def __init__(self) -> None:
        self._paths: dict[str, dict[str, Handler]] = {}
        self.routes: list[Route] = []

    def route(self, path: str, method: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            handlers = self._paths.get(path)
            if handlers is None:
                handlers = self._paths[path] = {}
                self.routes.append(self._route(path, handlers))
            handlers[method] = handler
            return handler

        return register

    @staticmethod
    def _route(path: str, handlers: dict[str, Handler]) -> Route:
        async def endpoint(request: Request) -> Response:
            handler = handlers.get(request.method)
            if handler is None:
                raise HTTPException(405, headers={"Allow": ", ".join(handlers)})
            # Rate limits are kept per path template, which Starlette does not record.
            request.scope["route"] = route
            result = await handler(request, **request.path_params)
            return result if isinstance(result, Response) else JSONResponse(result)

        route = Route(path, endpoint, methods=ALL_METHODS, name=path)
        return route

    def methods_of(self, path: str) -> list[str]:
        return list(self._paths.get(path, {}))

    def get(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, "GET")

    def post(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, "POST")

    def put(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, "PUT")

    def delete(self, path: str, **_: Any) -> Callable[[Handler], Handler]:
        return self.route(path, "DELETE")
