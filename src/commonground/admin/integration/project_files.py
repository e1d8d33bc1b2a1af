"""A project as a file or a template: Save as template, Export (with its execution history or
not) and Import, as the original's project list offered them.

The rules are the integration API's: Save as template is the catalog's
`save_project_as_template` (a built-in template's name is refused), the export is
`project_file` (YAML, the history appended when asked), and an import is `project_from_yaml`
saved by `save_project`, so the connection set must exist and be usable by whoever imports.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.render import done
from commonground.admin.sessions import checked_form, checked_upload
from commonground.api.integration.exchange import YAML_MEDIA
from commonground.api.integration.projects import SaveAsTemplate, save_project
from commonground.api.metadata import parse
from commonground.errors import DefinitionError
from commonground.integration.definitions import ProjectDef
from commonground.integration.integrator import Integrator
from commonground.integration.templates.library import Templates, project_file, project_from_yaml
from commonground.security.caller import caller_of

UPLOAD_FIELD = "file"


class ProjectFilePages:
    """Save as template, export and import."""

    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator

    async def save_as_template(self, request: Request) -> Response:
        """A template from the project's tasks and mappings."""
        form = await checked_form(request)
        name = request.path_params["name"]
        choice = parse(
            SaveAsTemplate,
            {
                "name": form.get("template_name", "").strip(),
                "description": form.get("description", ""),
                "author": caller_of(request).name,
                "version": form.get("version", "").strip() or "1.0.0.0",
                "replace": form.get("replace") == "yes",
            },
            "template",
        )
        templates = Templates(self.integrator.definitions)

        def work() -> None:
            templates.save_project_as_template(
                name,
                choice.name,
                choice.description,
                choice.author,
                choice.version,
                choice.replace,
            )

        await run_in_threadpool(work)
        return done("/integration/templates", f"Saved project {name} as template {choice.name}.")

    async def export(self, request: Request) -> Response:
        """The project as a YAML download; `?history` adds its executions."""
        name = request.path_params["name"]
        with_history = request.query_params.get("history", "false").lower() not in ("false", "0")
        text = await run_in_threadpool(project_file, self.integrator, name, with_history)
        suffix = "-history" if with_history else ""
        return Response(
            text,
            media_type=YAML_MEDIA,
            headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.yaml"'},
        )

    async def import_project(self, request: Request) -> Response:
        """A project from an exported file (replacing one of the same name when asked)."""
        form, content = await checked_upload(request, UPLOAD_FIELD)
        if not content.strip():
            raise DefinitionError("import: choose an exported project file (.yaml)")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError("import: the file is not UTF-8 text") from exc
        project = project_from_yaml(text)
        replace = form.get("replace") == "yes"
        caller = caller_of(request)

        def work() -> ProjectDef:
            return save_project(self.integrator.definitions, project, caller, replace)

        saved = await run_in_threadpool(work)
        verb = "Replaced" if replace else "Imported"
        return done(f"/integration/projects/{saved.name}", f"{verb} project {saved.name}.")
