"""Who reaches the integration pages, and how the integration API's own errors show as pages.

The pages are for installation administrators and holders of the Integrations capability in
some environment (`may_integrate`, the same rule as the JSON API): anyone else gets a 403 page
with nothing to press. The integration API's rules raise `ApiError` (a 400 naming the field, a
409 for a definition in use, a 502 from a connector); a page shows its message with its status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.render import page
from commonground.api.errors import ApiError
from commonground.api.integration import may_integrate
from commonground.errors import ForbiddenError
from commonground.security.caller import caller_of
from commonground.security.permissions import Capability
from commonground.service.environments import Environments

Handler = Callable[[Request], Awaitable[Response]]


def guarded(environments: Environments, handler: Handler) -> Handler:
    """The handler behind the Integrations check, its ApiErrors answered as problem pages."""

    @wraps(handler)
    async def run(request: Request) -> Response:
        caller = caller_of(request)
        if not await run_in_threadpool(may_integrate, environments, caller):
            raise ForbiddenError(str(Capability.INTEGRATIONS), "this installation")
        try:
            return await handler(request)
        except ApiError as exc:
            return page(request, "problem.html", exc.status, error=exc.message)

    return run
