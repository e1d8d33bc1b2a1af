"""The data integrator's admin API: JSON over HTTP on what the CLI does.

    GET/POST            /integration/connections
    GET/PUT/DELETE      /integration/connections/{name}
    GET                 /integration/connections/{name}/entities[?entity=]   discovery
    GET/POST            /integration/connection-sets
    GET/PUT/DELETE      /integration/connection-sets/{name}
    GET/POST            /integration/projects              list; create (or from a template)
    POST                /integration/projects/import       YAML body
    GET/PUT/DELETE      /integration/projects/{name}
    GET                 /integration/projects/{name}/export[?history=true]   YAML
    PUT                 /integration/projects/{name}/schedule
    POST                /integration/projects/{name}/template   save as template
    POST                /integration/projects/{name}/runs       202, runs in the background
    GET                 /integration/executions[?project=&limit=]
    GET                 /integration/executions/{id}
    GET                 /integration/executions/{id}/errors[?offset=&limit=]
    GET                 /integration/executions/{id}/changes    a dry run's changes
    POST                /integration/executions/{id}/rerun      202
    POST                /integration/executions/{id}/cancel
    GET/POST            /integration/templates
    GET/DELETE          /integration/templates/{name}

Only installation administrators and holders of the Integrations capability (Environment
Admin or Maker) in some environment reach these routes (403 for anyone else).

Errors take the product's one JSON shape: 400 for a bad body or query option (naming the
field), 404 for an unknown name in the URL, 409 for a name taken, a definition in use or a
project already running, 502 when a connector's system fails during discovery.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from commonground.api.errors import api_error, error_response
from commonground.api.integration.connections import ConnectionHandlers, connection_routes
from commonground.api.integration.exchange import BASE
from commonground.api.integration.projects import ProjectHandlers, project_routes
from commonground.api.integration.runs import RunHandlers, run_routes
from commonground.api.integration.templates import TemplateHandlers, template_routes
from commonground.errors import ForbiddenError
from commonground.integration.integrator import Integrator
from commonground.security.caller import Caller, caller_of
from commonground.security.permissions import Capability
from commonground.service.environments import Environments


def integration_routes(integrator: Integrator) -> list[Route]:
    """The integrator's routes, to mount beside the OData services."""
    return [
        *connection_routes(ConnectionHandlers(integrator)),
        *project_routes(ProjectHandlers(integrator)),
        *run_routes(RunHandlers(integrator)),
        *template_routes(TemplateHandlers(integrator)),
    ]


def may_integrate(environments: Environments, caller: Caller) -> bool:
    """An administrator, or a caller holding Integrations in some environment."""
    if caller.admin:
        return True
    for name in environments.names():
        access = environments.open(name).access(caller)
        if Capability.INTEGRATIONS in access.capabilities:
            return True
    return False


class IntegrationGuard:
    """Refuses the integration routes to callers who may not manage integrations."""

    def __init__(self, app: Any, environments: Environments) -> None:
        self.app = app
        self.environments = environments

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == BASE or path.startswith(f"{BASE}/"):
            caller = caller_of(scope)
            if not await run_in_threadpool(may_integrate, self.environments, caller):
                refused = ForbiddenError(str(Capability.INTEGRATIONS), "this installation")
                await error_response(api_error(refused))(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = ["IntegrationGuard", "integration_routes"]
