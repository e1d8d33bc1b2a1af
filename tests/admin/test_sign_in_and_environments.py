"""Sign-in, sessions, CSRF and the environment pages, in the browser."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.admin.pages import ADMIN, ENV, NOBODY, Site, shoot


def test_pages_need_a_session_and_a_wrong_password_says_so(site: Site, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/admin/environments")
    expect(page).to_have_url(f"{site.url}/admin/sign-in?next=/admin/environments")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The user name or password is not right.")
    shoot(page, "sign-in")
    context.close()


def test_forms_without_the_csrf_token_are_refused(site: Site) -> None:
    refused = httpx.post(f"{site.url}/admin/sign-in", data={"username": ADMIN, "password": "x"})
    assert refused.status_code == 403
    assert "stale or came from another site" in refused.text


def test_an_admin_creates_copies_and_restricts_environments(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shoot(page, "dashboard")
    page.get_by_role("link", name="Environments").first.click()
    expect(page.get_by_role("rowheader", name=ENV)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Sandbox")
    page.get_by_label("Description").fill("for trying things")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text(
        "Created environment Sandbox (restricted access)."
    )
    page.get_by_label("Copy to").first.fill("Copied")
    page.get_by_role("button", name="Copy").first.click()
    expect(page.get_by_role("status")).to_contain_text("Copied")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Sandbox"))
    row.get_by_role("button", name="Make open").click()
    expect(page.get_by_role("status")).to_have_text("Sandbox now has open access.")
    shoot(page, "environments")
    with page.expect_download() as download:
        page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=ENV)).get_by_role(
            "link", name="Back up"
        ).click()
    assert download.value.suggested_filename == f"{ENV}.zip"
    page.get_by_label("Backup file (.zip)").set_input_files(download.value.path())
    page.get_by_label("Name (leave empty to keep the backup's)").fill("Restored")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_have_text("Restored environment Restored.")
    expect(page.get_by_role("rowheader", name="Restored")).to_be_visible()


def test_a_user_without_rights_sees_no_admin_actions(signed_in: Callable[[str], Page]) -> None:
    page = signed_in(NOBODY)
    page.get_by_role("link", name="Environments").first.click()
    expect(page.get_by_role("rowheader", name=ENV)).to_be_visible()
    expect(page.get_by_role("button", name="Create")).to_have_count(0)
    expect(page.get_by_role("link", name="Back up")).to_have_count(0)
    expect(page.get_by_role("button", name="Make open")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
