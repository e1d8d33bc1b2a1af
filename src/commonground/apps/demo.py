"""The Prospect to Cash demo: Sales and Operations kept in step through the data service.

Stages, each safe to run again on the same home folder (records are upserted by their keys,
projects and systems are reused):
  1. systems: the Sales app (an environment served over its OData API by a server process,
     as a real Sales instance would be), the hub, the Operations database, the connection set;
  2. masters: Sales accounts and contacts, Operations released products (generated);
  3. a project from every built-in template, run in the documented order: products and
     accounts, contacts, then quotes and orders (made in Sales once products arrived there),
     Operations confirming orders (back to Sales), then the invoices Operations raises;
  4. changes in Sales and Operations, and every project again: only the changes move;
  5. verification: every leg's destination against its source (counts, keys, checksums).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from commonground.apps import documents
from commonground.apps.generator import SampleData, Volumes
from commonground.apps.scenario import (
    CONNECTION_SET,
    HUB,
    SALES,
    Scenario,
    create_scenario,
)
from commonground.apps.serving import serving
from commonground.apps.verify import LegCheck, verify_project
from commonground.errors import NotFoundError
from commonground.integration.definitions import ConnectionDef
from commonground.integration.engine.progress import ProgressListener, ignore_progress
from commonground.integration.history import Execution
from commonground.integration.integrator import Integrator
from commonground.integration.templates.library import Templates
from commonground.security.caller import SYSTEM
from commonground.security.defaults import DATABASE_OWNER
from commonground.security.directory import Directory
from commonground.security.permissions import Member, MemberKind
from commonground.service.environments import Environments

OPERATIONS_FILE = "operations.sqlite"
# (project name, template name), in the documented dependency order (prospect-to-cash.md §6)
MASTERS = (
    ("Products", "Products (Fin and Ops to Sales) - Direct"),
    ("Accounts", "Accounts (Sales to Fin and Ops) - Direct"),
    ("Contacts", "Contacts (Sales to Fin and Ops) - Direct"),
    ("ContactsToCustomers", "Contacts to Customers (Sales to Fin and Ops) - Direct"),
)
QUOTES_AND_ORDERS = (
    ("Quotes", "Sales Quotes (Sales to Fin and Ops) - Direct"),
    ("OrdersToOperations", "Sales Orders (Sales to Fin and Ops) - Direct"),
)
ORDERS_BACK = (("OrdersToSales", "Sales Orders (Fin and Ops to Sales) - Direct"),)
INVOICES = (("Invoices", "Sales Invoices (Fin and Ops to Sales) - Direct"),)


SALES_APPLICATION = "Prospect to Cash"  # the application user the integration signs in as


@dataclass
class TaskFigures:
    """What one step (a task's leg) of a project's run did, and how long it took."""

    project: str
    task: str
    step: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    failed: int
    seconds: float

    @property
    def written(self) -> int:
        """Records inserted or updated."""
        return self.inserted + self.updated


@dataclass
class DemoResult:
    """Figures of the full and incremental runs, and the verification."""

    full: list[TaskFigures] = field(default_factory=list)
    incremental: list[TaskFigures] = field(default_factory=list)
    checks: list[LegCheck] = field(default_factory=list)
    full_seconds: float = 0.0
    incremental_seconds: float = 0.0

    @property
    def verified(self) -> bool:
        """Every leg's destination matches its source."""
        return bool(self.checks) and all(c.ok for c in self.checks)


def _figures(execution: Execution, seconds: float) -> list[TaskFigures]:
    return [
        TaskFigures(
            execution.project,
            s.task,
            s.step,
            s.counts.read,
            s.counts.inserted,
            s.counts.updated,
            s.counts.unchanged,
            s.counts.failed,
            s.seconds if s.seconds is not None else seconds,
        )
        for s in execution.steps
    ]


class Demo:
    """One run of the demo on a home folder."""

    def __init__(
        self,
        home: Path,
        accounts: int,
        progress: ProgressListener = ignore_progress,
        say: Callable[[str], None] = lambda _: None,
        seed: int = 2026,
    ) -> None:
        self.home = home
        self.volumes = Volumes.for_accounts(accounts)
        self.data = SampleData(self.volumes, seed)
        self.seed = seed
        self.progress = progress
        self.say = say

    def run(self) -> DemoResult:
        """All stages; the systems are closed at the end."""
        result = DemoResult()
        environments = Environments(home=self.home)
        integrator = Integrator(home=self.home)
        try:
            with serving(self.home) as url, integrator.keep_connectors():
                scenario = self._systems(environments, integrator, url)
                self._masters(scenario)
                started = time.perf_counter()
                self._run_all(scenario, result.full)
                result.full_seconds = time.perf_counter() - started
                self._changes(scenario)
                started = time.perf_counter()
                self._run_projects(scenario, self._all_projects(), result.incremental)
                result.incremental_seconds = time.perf_counter() - started
                self.say("Verifying every destination against its source")
                for name, _ in self._all_projects():
                    project = integrator.definitions.project(name)
                    result.checks.extend(verify_project(integrator, project))
        finally:
            integrator.close()
            environments.close()
        return result

    # -- stages --------------------------------------------------------------------------

    def _systems(self, environments: Environments, integrator: Integrator, url: str) -> Scenario:
        sales_settings = {"environment": SALES, "url": url, **self._sales_sign_in(url)}
        hub_settings = {"environment": HUB, "home": str(self.home)}
        operations = self.home / OPERATIONS_FILE
        if SALES not in environments.names():
            self.say("Creating the Sales app, the hub and the Operations database")
            scenario = create_scenario(
                environments, integrator, operations, sales_settings, hub_settings
            )
        else:
            self.say("Reusing the Sales app, the hub and the Operations database")
            integrator.definitions.save_connection(
                ConnectionDef(name="Sales", kind="commonground", settings=sales_settings),
                replace=True,
            )
            scenario = Scenario(
                environments.open(SALES),
                environments.open(HUB),
                f"sqlite:///{operations}",
                integrator,
            )
        templates = Templates(integrator.definitions)
        existing = {p.name for p in integrator.definitions.projects()}
        for name, template in self._all_projects():
            if name not in existing:
                templates.create_project(template, name, CONNECTION_SET, 0, True, "demo")
        integration = Member(kind=MemberKind.APPLICATION, name=SALES_APPLICATION)
        if integration not in scenario.sales.security.members(DATABASE_OWNER):
            scenario.sales.security.add_member(SYSTEM, DATABASE_OWNER, integration)
        return scenario

    def _sales_sign_in(self, url: str) -> dict[str, str]:
        """The client credentials the integration reaches Sales with: those of an application
        user that holds Database Owner there (a fresh secret each run, shown nowhere)."""
        directory = Directory(self.home)
        try:
            try:
                directory.application_user(SALES_APPLICATION)
                credentials = directory.reset_application_secret(SALES_APPLICATION)
            except NotFoundError:
                credentials = directory.create_application_user(SALES_APPLICATION)
        finally:
            directory.close()
        return {
            "token_url": f"{url}/oauth2/token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }

    def _all_projects(self) -> tuple[tuple[str, str], ...]:
        return MASTERS + QUOTES_AND_ORDERS + ORDERS_BACK + INVOICES

    def _masters(self, scenario: Scenario) -> None:
        v = self.volumes
        self.say(
            f"Generating {v.accounts:,} accounts, {v.contacts:,} contacts in Sales and "
            f"{v.products:,} products in Operations"
        )
        sales = scenario.sales
        currency = sales.upsert(
            "transactioncurrencies",
            [{"isocurrencycode": "USD", "currencyname": "US Dollar"}],
            key=["isocurrencycode"],
        ).record_ids[0]
        price_lists = ("Standard", "CRM Service USA (sample)")  # the second: the order and
        sales.upsert(  # invoice templates' documented USD value map
            "pricelevels",
            [{"name": n, "transactioncurrencyid": currency} for n in price_lists],
            key=["name"],
        )
        sales.upsert("uomschedules", [{"name": "Default unit"}], key=["name"])
        units = ("Each", "Piece", "Box", "Kilogram", "ea", "pcs", "box", "kg", "Primary Unit")
        sales.upsert("uoms", [{"name": n} for n in units], key=["name"])
        for batch in self.data.accounts():
            sales.upsert("accounts", batch, key=["accountnumber"])
        ids = {r["accountnumber"]: r["RecordId"] for b in sales.scan("accounts") for r in b}
        spoiled_exists = any(
            r.get("msdynce_contactnumber") is None for b in sales.scan("contacts") for r in b
        )
        for batch in self.data.contacts():
            for contact in batch:
                contact["parentcustomerid"] = ids.get(contact.pop("parent_accountnumber"))
            keyed = [c for c in batch if c["msdynce_contactnumber"] is not None]
            sales.upsert("contacts", keyed, key=["msdynce_contactnumber"])
            spoiled = [c for c in batch if c["msdynce_contactnumber"] is None]
            if spoiled and not spoiled_exists:  # no number: the integrator must refuse them
                sales.create("contacts", spoiled)
        documents.insert_products(scenario.operations_url, self.data.products())

    def _run_all(self, scenario: Scenario, figures: list[TaskFigures]) -> None:
        self._run_projects(scenario, MASTERS, figures)
        quotes_and_orders = self.volumes.accounts // 2
        self.say(f"Creating {quotes_and_orders:,} quotes and {quotes_and_orders:,} orders in Sales")
        documents.sales_documents(scenario.sales, quotes_and_orders, self.seed)
        self._run_projects(scenario, QUOTES_AND_ORDERS, figures)
        confirmed = documents.confirm_orders(scenario.operations_url)
        self.say(f"Operations confirmed {confirmed:,} orders")
        self._run_projects(scenario, ORDERS_BACK, figures)
        invoiced = documents.raise_invoices(scenario.operations_url)
        self.say(f"Operations raised {invoiced:,} invoices")
        self._run_projects(scenario, INVOICES, figures)

    def _changes(self, scenario: Scenario) -> None:
        step = 100  # 1% of the accounts and products
        accounts = [
            {"accountnumber": a["accountnumber"], "telephone1": f"+1 555 {i:04d}"}
            for i, a in enumerate(a for b in self.data.accounts() for a in b)
            if i % step == 0
        ]
        scenario.sales.upsert("accounts", accounts, key=["accountnumber"])
        changed_products = documents.reprice_products(scenario.operations_url, every=step)
        self.say(
            f"Changed {len(accounts):,} accounts in Sales and {changed_products:,} product "
            "prices in Operations"
        )

    def _run_projects(
        self, scenario: Scenario, projects: tuple[tuple[str, str], ...], figures: list[TaskFigures]
    ) -> None:
        for name, _ in projects:
            started = time.perf_counter()
            execution = scenario.integrator.run(name, progress=self.progress)
            figures.extend(_figures(execution, time.perf_counter() - started))
