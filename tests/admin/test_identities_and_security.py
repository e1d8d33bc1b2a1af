"""Users, application users, groups and the audit log; an environment's permission sets,
roles and grants; and what a user given a role may then do, in the browser."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.admin.pages import ADMIN, ENV, NOBODY, PASSWORD, Site, shoot


def create_user(page: Page, site: Site, name: str) -> None:
    """Create a user with the test password on the identities page."""
    page.goto(f"{site.url}/admin/identities")
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("E-mail").fill(f"{name}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text(f"Created user {name}.")


def status_of(page: Page, url: str) -> int:
    """The HTTP status of a page, opened in the browser."""
    response = page.goto(url)
    assert response is not None
    return response.status


def test_only_administrators_see_identities(signed_in: Callable[[str], Page], site: Site) -> None:
    page = signed_in(NOBODY)
    assert status_of(page, f"{site.url}/admin/identities") == 403
    expect(page.get_by_role("heading", name="That did not work")).to_be_visible()


def test_an_admin_manages_users_applications_and_groups(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.get_by_role("link", name="Users").first.click()
    expect(page.get_by_role("heading", name="Users and groups")).to_be_visible()
    create_user(page, site, "alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm the password").fill("something else")
    page.get_by_label("User name", exact=True).fill("mismatch")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("the password and its confirmation differ")

    page.goto(f"{site.url}/admin/identities")
    users = page.locator("#users")
    alice = users.get_by_role("row").filter(has=page.get_by_role("rowheader", name="alice"))
    alice.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_have_text("Disabled user alice.")
    expect(alice).to_contain_text("disabled")
    alice.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_have_text("Enabled user alice.")
    expect(alice).to_contain_text("enabled")
    assert "$" not in users.inner_text()  # no password hash anywhere

    page.get_by_label("Application user name").fill("etl")
    page.get_by_role("button", name="Create application user").click()
    expect(page.get_by_role("heading", name="Created application user etl")).to_be_visible()
    secret = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    assert len(secret) >= 32
    shoot(page, "application-secret")
    page.get_by_role("link", name="Done").click()
    expect(page.locator("#applications")).to_contain_text(client_id)
    assert secret not in page.content()
    etl = page.locator("#applications").get_by_role("row").filter(has_text="etl")
    page.once("dialog", lambda dialog: dialog.accept())
    etl.get_by_role("button", name="Reset secret").click()
    renewed = page.locator("#client-secret").inner_text()
    assert renewed != secret
    page.goto(f"{site.url}/admin/identities")
    assert renewed not in page.content()

    page.get_by_label("Group name").fill("sales")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("status")).to_have_text("Created group sales.")
    page.get_by_label("Add member to sales").fill("alice")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Added alice to group sales.")
    expect(page.locator("#groups")).to_contain_text("alice")

    page.get_by_label("Action").fill("user.disabled")
    page.get_by_role("button", name="Filter").click()
    audit = page.locator("#audit").get_by_role("row")
    expect(audit).to_have_count(2)  # the header and alice's
    expect(audit.nth(1)).to_contain_text("alice")
    expect(audit.nth(1)).to_contain_text(ADMIN)
    shoot(page, "identities")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "identities-phone")


def test_a_role_with_a_policy_set_decides_what_its_holder_may_do(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    admin = signed_in(ADMIN)
    create_user(admin, site, "carol")
    security = f"{site.url}/admin/environments/{ENV}/security"
    admin.goto(security)
    expect(admin.get_by_role("heading", name=f"Security of {ENV}")).to_be_visible()

    admin.get_by_role("link", name="New permission set").click()
    admin.get_by_label("Name", exact=True).fill("Active accounts")
    admin.get_by_label("Read Account", exact=True).check()
    admin.get_by_text("Record policies for Account", exact=True).click()
    policy = admin.get_by_role("group", name="Account Read policy")
    policy.get_by_label("Picklist field holds one of").check()
    policy.get_by_label("Picklist field", exact=True).select_option("Status")
    policy.get_by_label("Allowed values").fill("Dormant")
    admin.get_by_role("button", name="Save permission set").click()
    expect(admin.get_by_role("alert")).to_contain_text("Dormant not in picklist AccountStatus")
    expect(admin.get_by_label("Read Account", exact=True)).to_be_checked()
    expect(admin.get_by_label("Read Worker", exact=True)).not_to_be_checked()
    shoot(admin, "permission-set-editor")
    admin.get_by_role("group", name="Account Read policy").get_by_label("Allowed values").fill(
        "Active"
    )
    admin.get_by_role("button", name="Save permission set").click()
    expect(admin.get_by_role("status")).to_have_text("Saved permission set Active accounts.")
    expect(admin.locator("#permission-sets")).to_contain_text(
        "Account: Read (where Status is Active)"
    )

    admin.get_by_role("link", name="New role").click()
    admin.get_by_label("Name", exact=True).fill("Account readers")
    admin.get_by_label("Active accounts").check()
    shoot(admin, "role-editor")
    admin.get_by_role("button", name="Save role").click()
    expect(admin.get_by_role("status")).to_have_text("Saved role Account readers.")

    grant(admin, "Account readers", "carol")
    shoot(admin, "security")

    carol = signed_in("carol")
    carol.get_by_role("link", name="Environments").first.click()
    expect(carol.get_by_role("rowheader", name=ENV)).to_be_visible()
    expect(carol.get_by_role("button", name="Make open")).to_have_count(0)
    assert status_of(carol, security) == 403
    carol.goto(f"{site.url}/admin/environments/{ENV}/entities")
    expect(carol.get_by_role("link", name="Records of Account")).to_be_visible()
    expect(carol.get_by_role("link", name="Records of Contact")).to_have_count(0)

    grant(admin, "Environment Admin", "carol")
    assert status_of(carol, security) == 200
    expect(carol.locator("#roles")).to_contain_text("user carol")
    admin.get_by_role("button", name="Revoke Environment Admin from user carol").click()
    expect(admin.get_by_role("status")).to_have_text("Took role Environment Admin from user carol.")
    assert status_of(carol, security) == 403


def grant(page: Page, role: str, user: str) -> None:
    """Give a role to a user on the security page."""
    form = page.get_by_role("group", name=f"Grant {role}")
    form.get_by_label("Kind").select_option("user")
    form.get_by_label("Name").fill(user)
    form.get_by_role("button", name="Grant").click()
    expect(page.get_by_role("status")).to_have_text(f"Gave role {role} to user {user}.")


def test_built_in_roles_take_sets_and_custom_objects_are_deleted(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.once("dialog", lambda dialog: dialog.accept())
    security = f"{site.url}/admin/environments/{ENV}/security"
    page.goto(f"{security}/new-permission-set")
    page.get_by_label("Name", exact=True).fill("Own contacts")
    page.get_by_label("Update Contact", exact=True).check()
    page.get_by_text("Record policies for Contact", exact=True).click()
    policy = page.get_by_role("group", name="Contact Update policy")
    policy.get_by_label("Current user equals field").check()
    policy.get_by_label("User field").fill("FirstName")
    page.get_by_role("button", name="Save permission set").click()
    expect(page.get_by_role("alert")).to_contain_text("FirstName")
    page.get_by_role("group", name="Contact Update policy").get_by_label("User field").fill(
        "CreatedByUser"
    )
    page.get_by_role("button", name="Save permission set").click()
    expect(page.get_by_role("status")).to_have_text("Saved permission set Own contacts.")

    page.get_by_role("link", name="Edit role Organization User").click()
    expect(page.get_by_text("A built-in role keeps its capabilities")).to_be_visible()
    page.get_by_label("Own contacts").check()
    page.get_by_role("button", name="Save role").click()
    expect(page.get_by_role("status")).to_have_text("Saved role Organization User.")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Organization User")
    )
    expect(row).to_contain_text("Own contacts")

    assert status_of(page, f"{security}/permission-sets/Contact%20View/edit") == 400
    page.goto(security)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete permission set Own contacts").click()
    expect(page.get_by_role("alert")).to_contain_text("used by role(s) Organization User")

    page.goto(f"{security}/roles/Organization%20User/edit")
    page.get_by_label("Own contacts").uncheck()
    page.get_by_role("button", name="Save role").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete permission set Own contacts").click()
    expect(page.get_by_role("status")).to_have_text("Deleted permission set Own contacts.")

    create_user(page, site, "dave")
    dave = page.locator("#users").get_by_role("row").filter(has_text="dave@example.com")
    dave.get_by_text("Reset password").click()
    dave.get_by_label("New password for dave").fill("a new password")
    dave.get_by_label("Confirm the new password").fill("a new password")
    dave.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_have_text("Set a new password for dave.")
    page.once("dialog", lambda dialog: dialog.accept())
    dave.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Deleted user dave.")
    expect(page.locator("#users")).not_to_contain_text("dave@example.com")


def test_an_administrator_cannot_lock_themselves_out(
    signed_in: Callable[[str], Page], site: Site
) -> None:
    page = signed_in(ADMIN)
    page.goto(f"{site.url}/admin/identities")
    mine = page.locator("#users").get_by_role("row").filter(has_text="root@example.com")
    expect(mine.get_by_role("button", name="Disable")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "cg_csrf")
    refused = page.request.post(
        f"{site.url}/admin/identities/users/{ADMIN}/disable", form={"csrf": csrf}
    )
    assert refused.status == 400
    assert "ask another administrator" in refused.text()
