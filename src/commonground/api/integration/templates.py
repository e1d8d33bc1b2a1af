"""Templates over HTTP: the built-in ones and those saved from projects or posted as YAML.

A template's body travels as the same YAML (or JSON) that `commonground template import`
reads. Built-in templates can be read and used but neither replaced nor deleted.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.api.integration.exchange import (
    BASE,
    Handlers,
    document_body,
    location,
    query_bool,
)
from commonground.api.metadata import definition, parse
from commonground.integration.templates.library import TemplateDef, Templates


def template_summary(template: TemplateDef) -> dict[str, Any]:
    """A template as the template picker lists it."""
    return {
        "name": template.name,
        "description": template.description,
        "author": template.author,
        "version": template.version,
        "created_on": template.created_on,
        "builtin": template.builtin,
        "roles": list(template.roles),
        "tasks": len(template.tasks),
    }


class TemplateHandlers(Handlers):
    """List, show, add and remove templates."""

    @property
    def templates(self) -> Templates:
        """The installation's templates."""
        return Templates(self.integrator.definitions)

    async def list_templates(self, request: Request) -> Response:
        """Every template: name, description, author, version, created on, built-in or not."""
        return await self.answer(lambda: [template_summary(t) for t in self.templates.list()])

    async def show_template(self, request: Request) -> Response:
        """One template with its tasks and mappings."""
        name = request.path_params["name"]
        return await self.answer(lambda: definition(self.templates.get(name)))

    async def create_template(self, request: Request) -> Response:
        """Add a template from a YAML or JSON body (`?replace=true` replaces a saved one)."""
        template = parse(TemplateDef, await document_body(request, "template"), "template")
        replace = query_bool(request, "replace")
        return await self.answer(
            lambda: template_summary(self.templates.save(template, replace)),
            201,
            location(request, f"templates/{template.name}"),
        )

    async def delete_template(self, request: Request) -> Response:
        """Remove a saved template."""
        name = request.path_params["name"]
        return await self.answer(lambda: self.templates.delete(name), 204)


def template_routes(handlers: TemplateHandlers) -> list[Route]:
    """The routes of templates."""
    one = f"{BASE}/templates/{{name}}"
    return [
        Route(f"{BASE}/templates", handlers.list_templates, methods=["GET"]),
        Route(f"{BASE}/templates", handlers.create_template, methods=["POST"]),
        Route(one, handlers.show_template, methods=["GET"]),
        Route(one, handlers.delete_template, methods=["DELETE"]),
    ]
