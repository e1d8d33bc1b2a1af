"""The integration pages in the browser: connections, a project from the accounts template
over the Prospect to Cash systems, runs, history, record errors, transforms and re-runs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from commonground.apps.scenario import CONNECTION_SET, create_scenario
from commonground.apps.serving import serving
from commonground.integration.integrator import Integrator
from commonground.security.caller import SYSTEM
from commonground.security.defaults import ENVIRONMENT_MAKER
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from commonground.security.permissions import Member, MemberKind
from commonground.service.environments import Environments
from tests.admin.pages import ADMIN, ENV, NOBODY, PASSWORD, Site, shoot

TEMPLATE = "Accounts (Sales to Fin and Ops) - Direct"
PROJECT = "Accounts"
UNNUMBERED = 51  # accounts without an account number: record errors, more than a page
MAKER = "maker"  # an Environment Maker in Prod: holds the Integrations capability


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The served home with the Prospect to Cash systems and Sales accounts, some of them
    without an account number (record errors, more than a page of them)."""
    home = tmp_path_factory.mktemp("integration")
    environments = Environments(home)
    integrator = Integrator(home=home)
    try:
        env = environments.create(ENV)
        env.security.add_member(SYSTEM, ENVIRONMENT_MAKER, Member(kind=MemberKind.USER, name=MAKER))
        scenario = create_scenario(
            environments,
            integrator,
            home / "operations.sqlite",
            {"environment": "sales", "home": str(home)},
            {"environment": "hub", "home": str(home)},
        )
        scenario.sales.create(
            "accounts",
            [
                {"accountnumber": "ACC-1", "name": "Contoso", "address1_country": "usa"},
                {"accountnumber": "ACC-2", "name": "Fabrikam", "address1_country": "Narnia"},
                *({"name": f"No number yet {n}"} for n in range(UNNUMBERED)),
            ],
        )
    finally:
        integrator.close()
        environments.close()
    directory = Directory(home, hasher=cheap_hasher())
    try:
        directory.create_user(ADMIN, "root@example.com", PASSWORD, admin=True)
        directory.create_user(NOBODY, "nobody@example.com", PASSWORD)
        directory.create_user(MAKER, "maker@example.com", PASSWORD)
    finally:
        directory.close()
    with serving(home) as url:
        yield Site(url, home)


def finished(page: Page, timeout: float = 60) -> str:
    """Reload a run's page until it has ended; its status."""
    deadline = time.monotonic() + timeout
    while True:
        status = page.locator("#run-status").inner_text().strip()
        if "Running" not in status or time.monotonic() > deadline:
            return status
        time.sleep(0.3)
        page.reload()


def test_connections_show_no_secrets_and_test_themselves(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.get_by_role("link", name="Integration").first.click()
    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Operations").click()
    secret = page.get_by_label("url (required)")
    expect(secret).to_have_attribute("type", "password")
    expect(secret).to_have_value("")
    page.get_by_role("button", name="Save connection").click()  # empty secret: kept
    expect(page.get_by_role("status")).to_have_text("Saved connection Operations.")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("Connected:")
    expect(page.get_by_role("rowheader", name="CustCustomerV2Entity")).to_be_visible()
    shoot(page, "integration-connection-test")

    page.get_by_role("link", name="Connections").click()
    page.get_by_label("Kind of system").select_option("files")
    page.get_by_role("button", name="Next: settings").click()
    page.get_by_label("Name", exact=True).fill("Drop folder")
    page.get_by_label("folder (required)").fill(str(site.home / "no such folder"))
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_role("status")).to_have_text("Saved connection Drop folder.")
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("alert")).to_contain_text("The connection failed")

    page.get_by_role("link", name="Connection sets").click()
    page.get_by_role("link", name=CONNECTION_SET).click()
    expect(page.get_by_label("Integration keys")).to_contain_text("sales.accounts")
    shoot(page, "integration-connection-set")


def test_a_project_from_the_accounts_template_runs_and_drills_into_errors(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/templates")
    expect(page.get_by_role("rowheader", name=TEMPLATE)).to_be_visible()
    shoot(page, "integration-templates")
    page.get_by_role("link", name="New project from a template").click()
    page.get_by_label("Project name").fill(PROJECT)
    page.get_by_label(TEMPLATE).check()
    page.get_by_label("Connection set").select_option(CONNECTION_SET)
    page.get_by_role("button", name="Next: organizations and consent").click()
    page.get_by_role("button", name="Create project").click()  # consent is required
    expect(page).to_have_url(
        f"{site.url}/admin/integration/projects/new?"
        f"name={PROJECT}&template=Accounts+%28Sales+to+Fin+and+Ops%29+-+Direct"
        f"&connection_set=Contoso+P2C"
    )
    page.get_by_label("I agree that data may move between these systems").check()
    shoot(page, "integration-wizard")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("status")).to_have_text(f"Created project {PROJECT} from {TEMPLATE}.")
    expect(page.get_by_role("rowheader", name="Accounts - Customers")).to_be_visible()
    shoot(page, "integration-project")

    page.get_by_role("button", name="Run project", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Started run")
    assert "Warning" in finished(page)
    errors = page.get_by_role("table", name=f"Record errors ({UNNUMBERED})")
    expect(errors).to_contain_text("AccountNumber is empty")
    expect(page.get_by_text(f"Errors 1 to 50 of {UNNUMBERED}.")).to_be_visible()
    page.get_by_role("link", name="Next errors").click()
    expect(page.get_by_text(f"Errors 51 to 51 of {UNNUMBERED}.")).to_be_visible()
    page.get_by_role("link", name="Previous errors").click()
    shoot(page, "integration-execution")
    page.get_by_role("link", name="Import errors (0)").click()
    expect(page.get_by_text("No record errors.")).to_be_visible()
    page.get_by_role("link", name=f"Export errors ({UNNUMBERED})").click()
    expect(errors).to_contain_text("(accountnumber):()")

    page.get_by_role("link", name=f"← Execution history of {PROJECT}").click()
    row = page.get_by_role("row").filter(has_text=f"{PROJECT} ")
    expect(row.first).to_contain_text("Warning")
    shoot(page, "integration-history")

    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_role("link", name="Field mapping of Accounts - Customers, leg 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{PROJECT} Field Mapping: Accounts - Customers"
    )
    shoot(page, "integration-mapping")
    page.get_by_role("link", name="Edit transform of AddressCountryRegion").click()
    chain = page.get_by_label("Transform chain (JSON)")
    transforms = json.loads(chain.input_value())
    assert transforms[0]["transformType"] == "ValueMap"
    chain.fill('[{"transformType": "ValueMap"}]')
    page.get_by_role("button", name="Save transform").click()
    expect(page.get_by_role("alert")).to_be_visible()
    transforms[0]["valueMap"]["narnia"] = "GB"
    chain.fill(json.dumps(transforms))
    shoot(page, "integration-transform")
    page.get_by_role("button", name="Save transform").click()
    expect(page.get_by_role("status")).to_have_text("Saved the transform of AddressCountryRegion.")

    page.get_by_role("link", name="Edit transform of FullName").click()
    expect(page.get_by_label("Transform chain (JSON)")).to_contain_text("Truncate")
    page.get_by_role("button", name="Save transform").click()
    expect(page.get_by_role("status")).to_have_text("Saved the transform of FullName.")

    page.get_by_role("link", name="Execution history").first.click()
    page.get_by_role("button", name="Re-run execution").first.click()
    expect(page.get_by_role("status")).to_contain_text("Started re-run")
    assert "Running" not in finished(page)
    expect(page.get_by_text("Rerun, all data").or_(page.get_by_text("re-run of"))).to_be_visible()


def test_the_advanced_query_previews_and_the_schedule_saves(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}/tasks/1/query")
    page.get_by_label("Query (DuckDB SQL)").fill("DELETE FROM source")
    page.get_by_role("button", name="Save query").click()
    expect(page.get_by_role("alert")).to_contain_text("only a SELECT is allowed")
    page.get_by_label("Query (DuckDB SQL)").fill(
        "SELECT accountnumber, upper(name) AS loud FROM source ORDER BY accountnumber"
    )
    page.get_by_role("button", name="Preview first rows").click()
    expect(page.get_by_role("cell", name="CONTOSO")).to_be_visible()
    shoot(page, "integration-query-preview")

    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_label("Recur every").check()
    page.get_by_label("Every", exact=True).fill("2")
    page.get_by_label("Unit").select_option("hours")
    page.get_by_label("Starting at (date, UTC)").fill("2030-01-01")
    page.get_by_label("Starting at (time)").fill("06:30")
    page.get_by_label("Notifications: e-mail on warnings and errors").fill("ops@example.com")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("status")).to_have_text("Saved the schedule (every 2 hours).")
    expect(page.get_by_text("Next sync: 2030-01-01 06:30 UTC")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "integration-project-phone")


def test_a_user_without_integrations_gets_403_and_no_buttons(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(NOBODY)
    for path in ("", "/connections", f"/projects/{PROJECT}", "/executions"):
        answer = page.goto(f"{site.url}/admin/integration{path}")
        assert answer is not None
        assert answer.status == 403
        expect(page.get_by_role("alert")).to_contain_text("Integrations")
        expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
    shoot(page, "integration-forbidden")


def test_the_mapping_editor_adds_checks_and_removes_rows_and_a_dry_run_lists_changes(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}/tasks/1/legs/1")
    page.get_by_label("Source field of the new row").fill("name")
    page.get_by_label("Destination field of the new row").fill("NoSuchField")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved the field mapping of Accounts - Customers."
    )
    row = page.get_by_role("row").filter(has=page.get_by_label("Remove NoSuchField"))
    expect(row).to_contain_text("DIPV1025")
    page.get_by_label("Remove NoSuchField").check()
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_label("Remove NoSuchField")).to_have_count(0)
    expect(page.get_by_role("region", name="Mapping issues")).to_have_count(0)

    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_role("button", name="Dry run").click()
    assert "Running" not in finished(page)
    expect(page.get_by_role("heading", name="Changes the dry run would make")).to_be_visible()
    shoot(page, "integration-dry-run")
    page.evaluate(  # the Cancel button shows only while a run runs; this one has ended
        """() => {
            const form = document.querySelector("form[action$='/rerun']");
            form.action = form.action.replace(/rerun$/, "cancel");
            form.submit();
        }"""
    )
    expect(page.get_by_role("status")).to_have_text(
        "The run had already ended; there was nothing to cancel."
    )


def test_a_maker_defines_only_connections_that_act_as_themselves(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(MAKER)
    page.goto(f"{site.url}/admin/integration/connections")
    kinds = page.get_by_label("Kind of system").locator("option").all_inner_texts()
    assert sorted(kinds) == ["commonground", "odata"]
    page.get_by_label("Kind of system").select_option("commonground")
    page.get_by_role("button", name="Next: settings").click()
    page.get_by_label("Name", exact=True).fill("My Prod")
    page.get_by_label("environment (required)").fill(ENV)
    page.get_by_label("home", exact=True).fill(str(site.home))
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_role("status")).to_have_text("Saved connection My Prod.")
    expect(page.get_by_label("run_as")).to_have_value(f"user:{MAKER}")

    for borrowed in (True, False):
        page.goto(f"{site.url}/admin/integration/connection-sets/new")
        page.get_by_label("Name", exact=True).fill("Borrowed")
        page.get_by_label("Role 1").fill("source")
        page.get_by_label("Connection 1").select_option("Sales" if borrowed else "My Prod")
        page.get_by_label("Role 2").fill("mine")
        page.get_by_label("Connection 2").select_option("My Prod")
        if borrowed:  # Sales acts as the local operator: not for a maker to use
            page.get_by_role("button", name="Save connection set").click()
            expect(page.get_by_role("alert")).to_contain_text("use connection Sales")
    page.get_by_label("Organization mappings").fill("source: Contoso, mine: Contoso")
    page.get_by_label("Integration keys").fill("mine.accounts: accountnumber")
    page.get_by_role("button", name="Save connection set").click()
    expect(page.get_by_role("status")).to_have_text("Saved connection set Borrowed.")
    expect(page.get_by_label("Integration keys")).to_have_value("mine.accounts: accountnumber")
    shoot(page, "integration-maker-connection-set")

    page.goto(f"{site.url}/admin/integration/projects/new")
    page.get_by_label("Project name").fill("Mine")
    page.get_by_label(TEMPLATE).check()
    page.get_by_label("Connection set").select_option("Borrowed")
    page.get_by_role("button", name="Next: organizations and consent").click()
    expect(page.get_by_role("alert")).to_contain_text("does not fit this template")
    expect(page.get_by_role("button", name="Create project")).to_have_count(0)


def test_pages_work_without_javascript(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site.url}/admin/integration")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=f"Run project {PROJECT} with all data").click()
    expect(page.get_by_role("status")).to_contain_text("Started run with all data")
    assert "Running" not in finished(page)
    expect(page.get_by_text("Immediate, all data")).to_be_visible()
    shoot(page, "integration-execution-phone")
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}/tasks/1/legs/1/rows/1/transform")
    page.get_by_label("Source value 1").fill("a")
    page.get_by_role("button", name="Add a row").click()
    expect(page.get_by_label("Source value 1")).to_have_value("a")
    expect(page.get_by_label("Source value 2")).to_have_value("")
    context.close()


def test_tasks_are_added_ordered_filtered_and_deleted(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_role("link", name="Add task").click()
    page.get_by_label("Task name").fill("Accounts to hub")
    page.get_by_label("Source entity").select_option("sales.accounts")
    page.get_by_label("Destination entity").select_option("hub.Account")
    shoot(page, "integration-add-task")
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status")).to_contain_text("Added task Accounts to hub (")
    tasks = page.get_by_role("table").first
    expect(tasks.get_by_role("row").last).to_contain_text("Accounts to hub")
    page.get_by_role("link", name="Field mapping of Accounts to hub, leg 1").click()
    expect(page.get_by_label("Remove AccountNumber")).to_be_visible()  # mapped by name
    page.go_back()

    page.get_by_role("link", name="Add task").click()  # the name is taken
    page.get_by_label("Task name").fill("Accounts to hub")
    page.get_by_label("Source entity").select_option("sales.accounts")
    page.get_by_label("Destination entity").select_option("hub.Account")
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("alert")).to_contain_text("already has a task Accounts to hub")
    page.get_by_label("Task name").fill("Accounts via hub")
    page.get_by_label("Two legs through the hub").check()
    page.get_by_label("Hub entity (two legs only)").select_option("hub.Account")
    page.get_by_label("Destination entity").select_option("sales.accounts")
    page.get_by_label("Write mode").select_option("insert")
    page.get_by_label("Propagate deletes").check()
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status")).to_contain_text("Added task Accounts via hub (")
    expect(page.get_by_role("link", name="Writing of Accounts via hub")).to_have_text(
        "Writing: insert, deletes propagate"
    )
    page.get_by_role("link", name="Writing of Accounts to hub").click()
    expect(page.get_by_label("Write mode")).to_have_value("upsert")
    expect(page.get_by_label("Propagate deletes")).not_to_be_checked()
    page.get_by_label("Write mode").select_option("update")
    shoot(page, "integration-task-writing")
    page.get_by_role("button", name="Save writing").click()
    expect(page.get_by_role("status")).to_have_text(
        "Task Accounts to hub now writes by update and keeps deleted records."
    )
    expect(page.get_by_role("link", name="Writing of Accounts to hub")).to_have_text(
        "Writing: update"
    )
    expect(
        page.get_by_role("link", name="Field mapping of Accounts via hub, leg 2")
    ).to_be_visible()

    page.get_by_role("button", name="Move Accounts to hub up").click()
    expect(page.get_by_role("status")).to_have_text("Moved task Accounts to hub to place 1.")
    first = tasks.get_by_role("row").nth(1)
    expect(first).to_contain_text("Accounts to hub")
    shoot(page, "integration-tasks")
    page.get_by_role("button", name="Move Accounts to hub down").click()
    expect(page.get_by_role("status")).to_have_text("Moved task Accounts to hub to place 2.")
    expect(tasks.get_by_role("row").nth(1)).to_contain_text("Accounts - Customers")

    page.get_by_role("link", name="Source filter of Accounts to hub").click()
    page.get_by_label("Source filter (OData $filter)").fill("nosuchfield eq 1")
    page.get_by_role("button", name="Save filter").click()
    expect(page.get_by_role("alert")).to_contain_text("DIPV1012")
    page.get_by_label("Source filter (OData $filter)").fill("name ne null")
    shoot(page, "integration-task-filter")
    page.get_by_role("button", name="Save filter").click()
    expect(page.get_by_role("status")).to_have_text("Saved the source filter of Accounts to hub.")
    expect(page.get_by_role("cell").filter(has_text="name ne null").first).to_be_visible()

    for name in ("Accounts via hub", "Accounts to hub"):
        page.get_by_role("button", name=f"Delete task {name}").click()
        expect(page.get_by_role("status")).to_have_text(f"Deleted task {name}.")
    expect(page.get_by_role("button", name="Delete task Accounts to hub")).to_have_count(0)


def test_a_project_saves_as_a_template_exports_and_imports(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_label("Template name").fill("My accounts")
    page.get_by_role("button", name="Save as template").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Saved project {PROJECT} as template My accounts."
    )
    expect(page.get_by_role("rowheader", name="My accounts")).to_be_visible()

    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    with page.expect_download() as plain:
        page.get_by_role("link", name="Export", exact=True).click()
    text = Path(plain.value.path()).read_text(encoding="utf-8")
    assert f"name: {PROJECT}" in text
    assert "history:" not in text
    with page.expect_download() as with_history:
        page.get_by_role("link", name="Export with execution history").click()
    assert "history:" in Path(with_history.value.path()).read_text(encoding="utf-8")

    copy = site.home / "copy.yaml"
    copy.write_text(text.replace(f"name: {PROJECT}\n", "name: Accounts copy\n", 1), "utf-8")
    page.goto(f"{site.url}/admin/integration")
    page.get_by_label("Exported project file (YAML)").set_input_files(str(copy))
    shoot(page, "integration-import")
    page.get_by_role("button", name="Import project").click()
    expect(page.get_by_role("status")).to_have_text("Imported project Accounts copy.")
    page.goto(f"{site.url}/admin/integration")
    page.get_by_label("Exported project file (YAML)").set_input_files(str(copy))
    page.get_by_role("button", name="Import project").click()
    expect(page.get_by_role("alert")).to_contain_text("Accounts copy")  # the name is taken
    page.goto(f"{site.url}/admin/integration")
    page.get_by_label("Exported project file (YAML)").set_input_files(str(copy))
    page.get_by_label("Replace a project of the same name").check()
    page.get_by_role("button", name="Import project").click()
    expect(page.get_by_role("status")).to_have_text("Replaced project Accounts copy.")


def test_refresh_entities_says_what_changed_since_the_last_look(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    folder = site.home / "refreshed"
    folder.mkdir()
    (folder / "customers.csv").write_text("id,name\n1,Contoso\n", "utf-8")
    (folder / "old.csv").write_text("id\n1\n", "utf-8")
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}")
    page.get_by_role("link", name="Refresh entities of Sales").click()
    page.get_by_role("button", name="Refresh entities").click()
    expect(page.get_by_role("rowheader", name="accounts", exact=True)).to_be_visible()
    page.goto(f"{site.url}/admin/integration/connections/new?kind=files")
    page.get_by_label("Name", exact=True).fill("Refreshed folder")
    page.get_by_label("folder (required)").fill(str(folder))
    page.get_by_role("button", name="Save connection").click()
    page.get_by_role("button", name="Refresh entities").click()
    expect(page.get_by_text("First look")).to_be_visible()
    expect(page.get_by_role("table", name="Entities (2)")).to_contain_text("id, name")

    (folder / "customers.csv").write_text("id,name,country\n1,Contoso,US\n", "utf-8")
    (folder / "orders.csv").write_text("id,total\n1,10\n", "utf-8")
    (folder / "old.csv").unlink()
    page.get_by_role("button", name="Refresh entities").click()
    changes = page.get_by_role("list", name="Changes")
    expect(changes).to_contain_text("New entity orders")
    expect(changes).to_contain_text("Entity old is gone")
    expect(changes).to_contain_text("customers: new fields country")
    shoot(page, "integration-refresh-entities")
    page.get_by_role("button", name="Refresh entities").click()
    expect(page.get_by_text("Nothing changed since the last look.")).to_be_visible()


def test_the_row_editor_saves_a_value_map_default_and_truncate(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/integration/projects/{PROJECT}/tasks/1/legs/1")
    page.get_by_role("link", name="Edit transform of FullName").click()
    expect(page.get_by_label("Cut text to a length")).to_be_checked()
    page.get_by_label("Source value 1").fill("contoso")
    page.get_by_label("Destination value 1").fill("Contoso Ltd")
    page.get_by_role("button", name="Add a row").click()  # a submit: no script needed
    expect(page.get_by_label("Source value 1")).to_have_value("contoso")
    page.get_by_label("Source value 2").fill("CONTOSO")
    page.get_by_label("Destination value 2").fill("Twice")
    page.get_by_role("button", name="Save rows").click()  # keys ignore case: refused
    expect(page.get_by_role("alert")).to_contain_text("appears twice")
    page.get_by_label("Source value 2").fill("fabrikam")
    page.get_by_label("Destination value for a blank source").fill("Unknown")
    page.get_by_label("Write a default when the value is blank").check()
    page.get_by_label("Default value").fill("Nameless")
    page.get_by_label("Length", exact=True).fill("40")
    expect(page.get_by_text("match case-insensitively")).to_be_visible()
    shoot(page, "integration-transform-rows")
    page.get_by_role("button", name="Save rows").click()
    expect(page.get_by_role("status")).to_have_text("Saved the transform of FullName.")
    page.get_by_role("link", name="Edit transform of FullName").click()
    chain = json.loads(page.get_by_label("Transform chain (JSON)").input_value())
    assert chain == [
        {"transformType": "Truncate", "length": 40},
        {
            "transformType": "ValueMap",
            "valueMap": {"contoso": "Contoso Ltd", "fabrikam": "Twice", "": "Unknown"},
        },
        {"transformType": "Default", "defaultValue": "Nameless"},
    ]
    page.get_by_label("Transform chain (JSON)").fill('[{"transformType": "Truncate"}]')
    page.get_by_role("button", name="Save transform").click()
    expect(page.get_by_role("status")).to_have_text("Saved the transform of FullName.")

    page.get_by_role("link", name="Edit transform of AddressCountryRegion").click()
    expect(page.get_by_label("Destination value for a blank source")).to_have_value("US")
