"""The admin center in a real browser: the system Chromium driven by Playwright against a
real `commonground serve`.

One installation per test module: environment `Prod`, an administrator (`ADMIN`) and a user
with no role (`NOBODY`) (see pages.py). `signed_in(user)` gives a page with that user's
session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from commonground.apps.serving import serving
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from commonground.service.environments import Environments
from tests.admin.pages import ADMIN, ENV, NOBODY, PASSWORD, Site

CHROMIUM = os.environ.get("COMMONGROUND_CHROMIUM", "/usr/bin/chromium")

if not Path(CHROMIUM).exists():  # .ci/run installs it; a bare machine may not have it
    pytest.skip(
        f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("admin")
    environments = Environments(home)
    environments.create(ENV)
    environments.close()
    directory = Directory(home, hasher=cheap_hasher())
    try:
        directory.create_user(ADMIN, "root@example.com", PASSWORD, admin=True)
        directory.create_user(NOBODY, "nobody@example.com", PASSWORD)
    finally:
        directory.close()
    with serving(home) as url:
        yield Site(url, home)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def signed_in(site: Site, browser: Browser) -> Iterator[Callable[[str], Page]]:
    """A function giving a page signed in as a user (its own browser context)."""
    contexts = []

    def sign_in(user: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{site.url}/admin/")
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{site.url}/admin/")
        return page

    yield sign_in
    for context in contexts:
        context.close()
