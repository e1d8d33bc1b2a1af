"""The admin center's routes under /admin, served by `commonground serve` beside the API.

Pages are plain server-rendered HTML; every action goes through the same service layer (and
so the same rights) as the API. Product errors become a page that says what went wrong with
a fitting status: a missing privilege 403, a missing thing 404, bad input 400.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from commonground.admin.dashboard import dashboard
from commonground.admin.entities import entity_routes
from commonground.admin.environments import environment_routes
from commonground.admin.identities import identity_routes
from commonground.admin.integration import integration_pages
from commonground.admin.permission_sets import permission_set_routes
from commonground.admin.render import page
from commonground.admin.roles import role_routes
from commonground.admin.sessions import (
    BASE,
    CsrfError,
    SessionGuard,
    checked_form,
    sign_in,
    signed_in,
    signed_out,
)
from commonground.api.errors import api_error
from commonground.errors import CommonGroundError
from commonground.integration.integrator import Integrator
from commonground.security.authentication import (
    Authenticator,
    SignInRefusedError,
    SignInThrottledError,
)
from commonground.service.environments import Environments

STATIC = Path(__file__).parent / "static"


class AdminCenter:
    """The admin pages over one installation."""

    def __init__(
        self, environments: Environments, authenticator: Authenticator, integrator: Integrator
    ) -> None:
        self.environments = environments
        self.authenticator = authenticator
        self.integrator = integrator

    async def sign_in_page(self, request: Request) -> Response:
        """The sign-in form."""
        return page(request, "sign_in.html", next=_local(request.query_params.get("next")))

    async def sign_in(self, request: Request) -> Response:
        """Check the name and password; on success, start a session."""
        form = await checked_form(request)
        name, target = form.get("username", ""), _local(form.get("next"))
        try:
            grant = await sign_in(self.authenticator, request, name, form.get("password", ""))
        except SignInThrottledError as exc:
            return page(request, "sign_in.html", 429, error=str(exc), username=name, next=target)
        except SignInRefusedError:
            message = "The user name or password is not right."
            return page(request, "sign_in.html", 401, error=message, username=name, next=target)
        return signed_in(RedirectResponse(target, 303), grant)

    async def sign_out(self, request: Request) -> Response:
        """End the session."""
        await checked_form(request)
        return signed_out(RedirectResponse(f"{BASE}/sign-in", 303))

    async def dashboard(self, request: Request) -> Response:
        """Recent runs by status over time, and the latest runs."""
        return await dashboard(request, self.integrator)


def admin_routes(
    environments: Environments, authenticator: Authenticator, integrator: Integrator
) -> list[BaseRoute]:
    """The admin center's routes."""
    center = AdminCenter(environments, authenticator, integrator)
    return [
        Route(BASE, lambda _: RedirectResponse(f"{BASE}/", 307), methods=["GET"]),
        Route(f"{BASE}/", center.dashboard, methods=["GET"]),
        Route(f"{BASE}/sign-in", center.sign_in_page, methods=["GET"]),
        Route(f"{BASE}/sign-in", center.sign_in, methods=["POST"]),
        Route(f"{BASE}/sign-out", center.sign_out, methods=["POST"]),
        *environment_routes(environments),
        *integration_pages(environments, integrator),
        *entity_routes(environments),
        *identity_routes(authenticator.directory, environments),
        *role_routes(environments),
        *permission_set_routes(environments),
        Mount(f"{BASE}/static", app=StaticFiles(directory=STATIC), name="admin-static"),
    ]


def admin_app(
    environments: Environments, authenticator: Authenticator, integrator: Integrator
) -> SessionGuard:
    """The admin center as an ASGI app: its pages behind a signed-in session, its errors
    answered as pages."""
    app = Starlette(
        routes=admin_routes(environments, authenticator, integrator),
        exception_handlers={
            CommonGroundError: _problem,
            CsrfError: _problem,
            404: _missing,
            405: _missing,
            Exception: _bug,
        },
    )
    return SessionGuard(app, authenticator)


async def _problem(request: Request, exc: Exception) -> Response:
    """A product error or a stale form, as a page with a fitting status."""
    if isinstance(exc, CsrfError):
        return page(request, "problem.html", 403, error=str(exc))
    assert isinstance(exc, CommonGroundError)
    translated = api_error(exc)
    return page(request, "problem.html", translated.status, error=translated.message)


async def _missing(request: Request, exc: Exception) -> Response:
    return page(request, "problem.html", 404, error=f"There is no page at {request.url.path}.")


async def _bug(request: Request, exc: Exception) -> Response:
    return page(request, "problem.html", 500, error="An unexpected error occurred.")


def _local(target: str | None) -> str:
    """A redirect target inside the admin center (never another site)."""
    if not target:
        return f"{BASE}/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(BASE):
        return f"{BASE}/"
    return target
