"""Templates and project files: save a project as a template, list templates, start a project
from one, and export or import a project (or a template) as YAML.

A template is a project without its bindings: the tasks with their mappings and the roles of
the connections they use, plus a name, description, author, version and creation date, as the
original's template picker listed them. Templates shipped with the product are YAML files in
this package; saved ones live in the catalog, and both are listed together.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import yaml
from pydantic import Field, ValidationError

from commonground.errors import DefinitionError, NotFoundError
from commonground.integration.catalog.database import utc_now
from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.definitions import NAME, Definition, ProjectDef, TaskDef
from commonground.integration.integrator import Integrator

BUILT_IN = "builtin"


class TemplateDef(Definition):
    """A blueprint of a project: its tasks and the connection roles they need."""

    name: str = Field(pattern=NAME)
    description: str = ""
    author: str = ""
    version: str = "1.0.0.0"
    created_on: datetime | None = None
    roles: list[str] = Field(default_factory=list)
    tasks: list[TaskDef]
    builtin: bool = False


def _roles(tasks: list[TaskDef]) -> list[str]:
    return sorted({role for t in tasks for leg in t.legs for role in (leg.source, leg.destination)})


def _parse(model: type[Definition], text: str, what: str) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{what} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DefinitionError(f"{what} must be a YAML mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise DefinitionError(f"{what} is invalid: {problems}") from exc


def to_yaml(item: Definition) -> str:
    """A definition as YAML (what export writes)."""
    data = item.model_dump(mode="json", exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def project_from_yaml(text: str) -> ProjectDef:
    """A project from exported YAML (errors name the field; an exported history is ignored)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"the project file is not valid YAML: {exc}") from exc
    if isinstance(data, dict) and "history" in data:
        data.pop("history")
        text = yaml.safe_dump(data, sort_keys=False)
    project: ProjectDef = _parse(ProjectDef, text, "the project file")
    return project


def project_file(integrator: Integrator, name: str, with_history: bool = False) -> str:
    """A project as YAML (the original's Export), with its execution history when asked."""
    text = to_yaml(integrator.definitions.project(name))
    if with_history:
        runs = [
            {
                "id": e.id,
                "name": e.name,
                "trigger": e.trigger,
                "status": e.status,
                "upserts": e.upserts,
                "errors": e.errors,
                "submitted_on": e.submitted_on.isoformat(),
                "finished_on": e.finished_on.isoformat() if e.finished_on else None,
            }
            for e in integrator.history.list(name, limit=1000)
        ]
        text += yaml.safe_dump({"history": runs}, sort_keys=False)
    return text


def template_from_yaml(text: str) -> TemplateDef:
    """A template from YAML (errors name the field)."""
    template: TemplateDef = _parse(TemplateDef, text, "the template file")
    return template


def built_in_templates() -> list[TemplateDef]:
    """The templates shipped with the product (the Prospect to Cash set)."""
    folder = resources.files(__package__)
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            template = template_from_yaml(entry.read_text(encoding="utf-8"))
            found.append(template.model_copy(update={"builtin": True}))
    return found


class Templates:
    """Saved and built-in templates."""

    def __init__(self, definitions: DefinitionStore) -> None:
        self.definitions = definitions

    def list(self) -> list[TemplateDef]:
        """Every template, built-in first, each by name."""
        saved = [TemplateDef.model_validate(d) for d in self.definitions.documents("templates")]
        return built_in_templates() + saved

    def get(self, name: str) -> TemplateDef:
        """One template by name."""
        for template in self.list():
            if template.name == name:
                return template
        raise NotFoundError("Template", name)

    def save(self, template: TemplateDef, replace: bool = False) -> TemplateDef:
        """Store a template (its roles taken from its tasks, its date set when missing)."""
        if any(t.name == template.name for t in built_in_templates()):
            raise DefinitionError(f"'{template.name}' is a built-in template; choose another name")
        template = template.model_copy(
            update={
                "roles": _roles(template.tasks),
                "created_on": template.created_on or utc_now(),
                "builtin": False,
            }
        )
        self.definitions.save_document(
            "templates", "Template", template.name, template.model_dump(mode="json"), replace
        )
        return template

    def delete(self, name: str) -> None:
        """Remove a saved template (built-in ones cannot be removed)."""
        if any(t.name == name for t in built_in_templates()):
            raise DefinitionError(f"'{name}' is a built-in template and cannot be deleted")
        self.definitions.delete_document("templates", "Template", name)

    def save_project_as_template(
        self,
        project_name: str,
        name: str,
        description: str = "",
        author: str = "",
        version: str = "1.0.0.0",
        replace: bool = False,
    ) -> TemplateDef:
        """A template made from a project's tasks (the original's Save as template)."""
        project = self.definitions.project(project_name)
        return self.save(
            TemplateDef(
                name=name,
                description=description,
                author=author,
                version=version,
                tasks=list(project.tasks),
            ),
            replace,
        )

    def create_project(
        self,
        template_name: str,
        project_name: str,
        connection_set: str,
        organization: int | None,
        consent: bool,
        user: str,
    ) -> ProjectDef:
        """A new project from a template, bound to a connection set that has its roles."""
        template = self.get(template_name)
        links = self.definitions.connection_set(connection_set)
        missing = [r for r in _roles(template.tasks) if r not in links.connections]
        if missing:
            raise DefinitionError(
                f"connection set '{connection_set}' has no connection for role(s) "
                f"{', '.join(missing)} that template '{template_name}' needs "
                f"(it has {', '.join(sorted(links.connections))})"
            )
        project = ProjectDef(
            name=project_name,
            connection_set=connection_set,
            organization=organization,
            consent=consent,
            tasks=list(template.tasks),
            description=template.description,
        )
        return self.definitions.save_project(project, user)
