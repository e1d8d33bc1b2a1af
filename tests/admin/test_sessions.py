"""Admin sessions over plain HTTP: a session renews its access token with its refresh token
(used once), ends at sign-out, and a disabled user's session stops at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from tests.admin.pages import PASSWORD, Site


@contextmanager
def session(site: Site, user: str) -> Iterator[httpx.Client]:
    """A client signed in to the admin center as a user (cookies kept)."""
    with httpx.Client(base_url=f"{site.url}/admin", timeout=30) as client:
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        credentials = {"username": user, "password": PASSWORD, "next": ""}
        answer = client.post("/sign-in", data={"csrf": csrf[1], **credentials})
        assert answer.status_code == 303
        yield client


def test_an_expired_access_token_is_renewed_once_with_the_refresh_token(site: Site) -> None:
    with session(site, "root") as client:
        refresh = client.cookies["cg_refresh"]
        client.cookies.delete("cg_access")
        renewed = client.get("/environments")
        assert renewed.status_code == 200
        assert client.cookies["cg_refresh"] != refresh
        client.cookies.delete("cg_access")
        client.cookies.set("cg_refresh", refresh, path="/admin")  # the used one
        refused = client.get("/environments")
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/admin/sign-in?next=")


def test_sign_out_ends_the_session_and_disabling_a_user_stops_it(site: Site) -> None:
    with session(site, "root") as client:
        csrf = client.cookies["cg_csrf"]
        assert client.post("/sign-out", data={"csrf": csrf}).status_code == 303
        assert client.get("/environments").status_code == 303
    directory = Directory(site.home, hasher=cheap_hasher())
    try:
        directory.create_user("brief", "brief@example.com", PASSWORD)
        with session(site, "brief") as client:
            assert client.get("/environments").status_code == 200
            directory.disable_user("brief")
            client.cookies.delete("cg_access")  # past the short identity cache: renew now
            assert client.get("/environments").status_code == 303
    finally:
        directory.close()
