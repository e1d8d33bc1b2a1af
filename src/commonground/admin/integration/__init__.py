"""The integration pages under /admin/integration: connections, connection sets, templates,
projects (wizard, tasks, field mappings, transforms, advanced queries, schedule), runs and the
execution history.

    /integration                                          projects
    /integration/connections[/new?kind=|/{name}]          connections; POST …/test, …/delete,
                                                          …/refresh (entities, what changed)
    /integration/connection-sets[/new|/{name}]            connection sets; POST …/delete
    /integration/templates                                templates
    /integration/projects/new                             the new-project wizard
    /integration/projects/{name}                          tasks, runs, schedule; POST …/delete
    /integration/projects/import                          POST an exported file
    /integration/projects/{name}/export[?history=true]    YAML download
    /integration/projects/{name}/template                 POST save as template
    /integration/projects/{name}/tasks[/new]              add a task
    /integration/projects/{name}/tasks/{t}/filter         source filter
    /integration/projects/{name}/tasks/{t}/writing        write mode, delete propagation
    /integration/projects/{name}/tasks/{t}/…              POST …/move (up|down), …/delete
    /integration/projects/{name}/runs                     POST mode=incremental|full|dry
    /integration/projects/{name}/schedule                 POST
    /integration/projects/{name}/tasks/{t}/legs/{l}       field mapping
    /integration/projects/{name}/tasks/{t}/legs/{l}/rows/{r}/transform
    /integration/projects/{name}/tasks/{t}/query          advanced query and preview
    /integration/executions[?project=]                    history
    /integration/executions/{id}[?offset=]                drill-down; POST …/rerun, …/cancel

Every page is for administrators and holders of the Integrations capability (403 otherwise).
"""

from __future__ import annotations

from starlette.routing import Route

from commonground.admin.integration.access import Handler, guarded
from commonground.admin.integration.connections import ConnectionPages
from commonground.admin.integration.mappings import MappingPages
from commonground.admin.integration.project_files import ProjectFilePages
from commonground.admin.integration.projects import ProjectPages
from commonground.admin.integration.runs import RunPages
from commonground.admin.integration.tasks import TaskPages
from commonground.admin.sessions import BASE
from commonground.integration.integrator import Integrator
from commonground.service.environments import Environments

ROOT = f"{BASE}/integration"


def integration_pages(environments: Environments, integrator: Integrator) -> list[Route]:
    """The integration pages' routes, each behind the Integrations check."""
    connections = ConnectionPages(integrator)
    projects = ProjectPages(integrator)
    mappings = MappingPages(integrator)
    runs = RunPages(integrator)
    tasks = TaskPages(integrator)
    files = ProjectFilePages(integrator)
    connection = f"{ROOT}/connections/{{name}}"
    connection_set = f"{ROOT}/connection-sets/{{name}}"
    project = f"{ROOT}/projects/{{name}}"
    leg = f"{project}/tasks/{{task:int}}/legs/{{leg:int}}"
    execution = f"{ROOT}/executions/{{id:int}}"
    task = f"{project}/tasks/{{task:int}}"
    table: list[tuple[str, str, Handler]] = [
        (ROOT, "GET", projects.index),
        (f"{ROOT}/connections", "GET", connections.list),
        (f"{ROOT}/connections", "POST", connections.save),
        (f"{ROOT}/connections/new", "GET", connections.new),
        (connection, "GET", connections.show),
        (connection, "POST", connections.save),
        (f"{connection}/test", "POST", connections.test),
        (f"{connection}/delete", "POST", connections.delete),
        (f"{connection}/refresh", "POST", connections.refresh),
        (f"{ROOT}/connection-sets", "GET", connections.sets),
        (f"{ROOT}/connection-sets", "POST", connections.save_set),
        (f"{ROOT}/connection-sets/new", "GET", connections.set_form),
        (connection_set, "GET", connections.set_form),
        (connection_set, "POST", connections.save_set),
        (f"{connection_set}/delete", "POST", connections.delete_set),
        (f"{ROOT}/templates", "GET", projects.templates),
        (f"{ROOT}/projects/new", "GET", projects.wizard),
        (f"{ROOT}/projects", "POST", projects.create),
        (f"{ROOT}/projects/import", "POST", files.import_project),
        (project, "GET", projects.show),
        (f"{project}/delete", "POST", projects.delete),
        (f"{project}/schedule", "POST", projects.schedule),
        (f"{project}/runs", "POST", runs.run),
        (f"{project}/export", "GET", files.export),
        (f"{project}/template", "POST", files.save_as_template),
        (f"{project}/tasks/new", "GET", tasks.new),
        (f"{project}/tasks", "POST", tasks.add),
        (f"{task}/delete", "POST", tasks.delete),
        (f"{task}/move", "POST", tasks.move),
        (f"{task}/filter", "GET", tasks.filter),
        (f"{task}/filter", "POST", tasks.save_filter),
        (f"{task}/writing", "GET", tasks.writing),
        (f"{task}/writing", "POST", tasks.save_writing),
        (leg, "GET", mappings.mapping),
        (leg, "POST", mappings.save_mapping),
        (f"{leg}/rows/{{row:int}}/transform", "GET", mappings.transform),
        (f"{leg}/rows/{{row:int}}/transform", "POST", mappings.save_transform),
        (f"{project}/tasks/{{task:int}}/query", "GET", mappings.query),
        (f"{project}/tasks/{{task:int}}/query", "POST", mappings.save_query),
        (f"{ROOT}/executions", "GET", runs.history),
        (execution, "GET", runs.execution),
        (f"{execution}/rerun", "POST", runs.rerun),
        (f"{execution}/cancel", "POST", runs.cancel),
    ]
    return [
        Route(path, guarded(environments, handler), methods=[method])
        for path, method, handler in table
    ]


__all__ = ["integration_pages"]
