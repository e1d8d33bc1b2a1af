"""The ASGI application: routes, error translation and the request budget.

Entity sets are defined at run time by each environment's model, so one catch-all route per
service root parses the resource path itself. Service calls block on the database, so they
run in Starlette's thread pool (writes of one environment after taking their turn on the event
loop, see write_turns); reading the body and answering stay on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.app import admin_app
from commonground.admin.sessions import BASE as ADMIN
from commonground.api import batch, dispatch
from commonground.api.errors import ApiError, api_error, error_response
from commonground.api.heap import settle_heap
from commonground.api.integration import IntegrationGuard, integration_routes
from commonground.api.limits import RequestBudget
from commonground.api.metadata import metadata_routes
from commonground.api.payloads import json_body, json_response, read_body, service_root
from commonground.api.point_reads import PointReads
from commonground.api.security import security_routes
from commonground.api.write_turns import WriteTurns
from commonground.errors import CommonGroundError
from commonground.integration.integrator import Integrator
from commonground.odata.csdl import csdl_xml
from commonground.odata.openapi import openapi_document
from commonground.odata.service_document import service_document
from commonground.security.authentication import Authenticator
from commonground.security.token_endpoint import token_route
from commonground.security.token_guard import secured
from commonground.service.environment import Environment
from commonground.service.environments import Environments

ROOT = "/environments/{env}/api/data/v1"


@dataclass(frozen=True)
class ApiSettings:
    """Limits of the HTTP API."""

    max_body_bytes: int = 16 * 1024 * 1024
    requests_per_window: int = 6000
    window_seconds: float = 300.0
    point_reads: bool = True  # answer plain GETs of one record before the stack (point_reads)
    # Freeze the heap once an environment is opened (heap.settle_heap): for a server process,
    # whose environments live as long as it does; not for an app made inside a test run.
    settle_heap: bool = False


def create_app(
    environments: Environments,
    authenticator: Authenticator,
    settings: ApiSettings | None = None,
    integrator: Integrator | None = None,
) -> Any:
    """The ASGI app serving every environment of an installation (and, given its integrator,
    the integrator's admin API under /integration and the admin center's pages under /admin),
    behind bearer-token authentication: only the health check and the token endpoint answer
    without a token (the admin pages sign in with a session of their own). In front of it all
    (inside the request budget), PointReads answers the plain GETs of one record by RecordId
    that it can answer exactly as this stack would, at a fraction of the cost."""
    settings = settings or ApiSettings()
    api = Api(environments, settings)
    routes = [
        Route("/health", api.health, methods=["GET"]),
        token_route(authenticator),
        Route(ROOT, api.redirect_root, methods=["GET"]),
        Route(f"{ROOT}/", api.service, methods=["GET"]),
        Route(f"{ROOT}/$metadata", api.metadata, methods=["GET"]),
        Route(f"{ROOT}/openapi.json", api.openapi, methods=["GET"]),
        Route(f"{ROOT}/$batch", api.batch, methods=["POST"]),
        Route(
            f"{ROOT}/{{path:path}}", api.resource, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
        ),
        *metadata_routes(environments),
        *security_routes(environments),
        *(integration_routes(integrator) if integrator is not None else []),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: _api_error,
            CommonGroundError: _product_error,
            404: _not_found,
            405: _not_allowed,
            Exception: _internal_error,
        },
    )
    served: Any = secured(IntegrationGuard(app, environments), authenticator)
    if integrator is not None:
        served = AdminOrApi(admin_app(environments, authenticator, integrator), served)
    if settings.point_reads:
        served = PointReads(served, environments, authenticator)
    return RequestBudget(
        served,
        settings.requests_per_window,
        settings.window_seconds,
        exempt=("/health",),
    )


class AdminOrApi:
    """Requests under /admin go to the admin center (sessions in cookies), the rest to the
    API (bearer tokens)."""

    def __init__(self, admin: Any, api: Any) -> None:
        self.admin = admin
        self.api = api

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == ADMIN or path.startswith(f"{ADMIN}/"):
            await self.admin(scope, receive, send)
        else:
            await self.api(scope, receive, send)


class Api:
    """The route handlers, with the installation they serve."""

    def __init__(self, environments: Environments, settings: ApiSettings) -> None:
        self.environments = environments
        self.settings = settings
        self.write_turns = WriteTurns()

    async def _env(self, request: Request) -> Environment:
        """The environment of the request; opened in the thread pool only the first time."""
        name = request.path_params["env"]
        env = self.environments.opened(name)
        if env is None:
            env = await run_in_threadpool(self.environments.open, name)
            if self.settings.settle_heap:
                settle_heap()
        return env

    async def health(self, request: Request) -> Response:
        """Liveness: answers without touching any database."""
        return json_response({"status": "ok"})

    async def redirect_root(self, request: Request) -> Response:
        """The service root without its trailing slash."""
        return await self.service(request)

    async def service(self, request: Request) -> Response:
        """The service document: the entity sets."""
        env = await self._env(request)
        return json_response(service_document(env.model, service_root(request)))

    async def metadata(self, request: Request) -> Response:
        """CSDL XML generated from the environment's model."""
        env = await self._env(request)
        xml = await run_in_threadpool(csdl_xml, env.model)
        return Response(xml, media_type="application/xml", headers={"OData-Version": "4.0"})

    async def openapi(self, request: Request) -> Response:
        """An OpenAPI 3 description of this environment's service."""
        env = await self._env(request)
        document = await run_in_threadpool(
            openapi_document, env.model, service_root=service_root(request)
        )
        return json_response(document)

    async def resource(self, request: Request) -> Response:
        """Everything under the service root that names an entity set (or a bound action)."""
        env = await self._env(request)
        target = dispatch.route(env.model, request.path_params["path"])
        body = None
        if dispatch.needs_body(request.method):
            body = await json_body(request, self.settings.max_body_bytes)
        if dispatch.is_quick_read(request, target) and env.db.dialect.name == "sqlite":
            # An embedded read of a record or a small page takes well under a millisecond: a
            # hop to the thread pool and back costs more, and the GIL serialises both anyway.
            return dispatch.execute(request, env, target, body)
        if request.method == "GET":
            return await run_in_threadpool(dispatch.execute, request, env, target, body)
        async with self.write_turns.turn(env.name):
            return await run_in_threadpool(dispatch.execute, request, env, target, body)

    async def batch(self, request: Request) -> Response:
        """`$batch`: many requests in one, in the JSON or the multipart/mixed format."""
        env = await self._env(request)
        raw = await read_body(request, self.settings.max_body_bytes)
        content_type = request.headers.get("content-type", "")
        return await run_in_threadpool(batch.run, request, env, content_type, raw)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _product_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CommonGroundError)
    return error_response(api_error(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(404, "NotFound", f"no resource at {request.url.path}"))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(ApiError(405, "MethodNotAllowed", message))


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(500, "InternalError", "an unexpected error occurred"))
