"""Pages from Jinja2 templates: every page gets the caller, the CSRF token for its forms and
the flash message a redirect left behind.

Templates autoescape everything. A flash message travels in the redirect's query string
(`?done=...`), so pages need no server-side session store and work with JavaScript off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from commonground.admin.sessions import BASE, CSRF_FIELD, csrf_token, with_csrf
from commonground.security.caller import CALLER_KEY

TEMPLATES = Environment(
    loader=PackageLoader("commonground.admin", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page (with the CSRF cookie when the browser has none)."""
    html = TEMPLATES.get_template(template).render(
        base=BASE,
        caller=request.scope.get(CALLER_KEY),
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        done=request.query_params.get("done"),
        path=request.url.path,
        **context,
    )
    return with_csrf(request, HTMLResponse(html, status_code=status))


def done(path: str, message: str) -> Response:
    """Back to a page after a form did its work, with a message saying what it did."""
    return RedirectResponse(f"{BASE}{path}?{urlencode({'done': message})}", 303)
