"""The app as uvicorn builds it in each worker process, from the settings in the environment.

Each worker also runs the scheduler (unless COMMONGROUND_SCHEDULER=off); schedules are
claimed in the catalog, so several workers fire each occurrence once.
"""

from __future__ import annotations

import threading
from typing import Any

from commonground.api.app import ApiSettings, create_app
from commonground.api.heap import settle_heap
from commonground.integration.integrator import Integrator
from commonground.integration.scheduler import Scheduler
from commonground.security.authentication import open_authenticator
from commonground.service.environments import Environments
from commonground.settings import home_path, setting


def app_from_settings() -> Any:
    """An app over the installation named by COMMONGROUND_HOME / COMMONGROUND_DATABASE_URL."""
    home, database_url = home_path(), setting("database_url")
    authenticator = open_authenticator(home, database_url)
    environments = Environments(home, database_url, audit_trail=authenticator.directory)
    limit = setting("rate_limit") or "6000/300"
    count, _, window = limit.partition("/")
    integrator = Integrator(home=home, database_url=database_url)
    if (setting("scheduler") or "on").lower() in ("on", "1", "true", "yes"):
        scheduler = Scheduler(integrator)
        threading.Thread(target=scheduler.run_forever, name="scheduler", daemon=True).start()
    app = create_app(
        environments,
        authenticator,
        ApiSettings(
            requests_per_window=int(count), window_seconds=float(window or 300), settle_heap=True
        ),
        integrator,
    )
    settle_heap()
    return app
