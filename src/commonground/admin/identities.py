"""Identity pages: the installation's users, application users and groups, and the audit log.

The directory is installation-wide, so only installation administrators see or change it.
Every change goes through the `Directory` under the administrator's name, so the audit log
says who did it. A password hash never reaches a page; an application user's secret is
shown once, on the page that answers its creation or reset (never through a redirect, so it
is not in a URL or the history), and never again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.admin.environments import require_admin
from commonground.admin.render import done, page
from commonground.admin.sessions import BASE, checked_form
from commonground.errors import DefinitionError
from commonground.security.caller import Caller, caller_of
from commonground.security.directory import Directory
from commonground.security.identities import Credentials
from commonground.security.permissions import Member, MemberKind
from commonground.security.removal import remove_identity
from commonground.service.environments import Environments

Handler = Callable[[Request], Awaitable[Response]]
AUDIT_ENTRIES = 100
AUDIT_FILTERS = ("actor", "action", "environment")


def _administrator(request: Request) -> Caller:
    """The caller, who must administer the installation to see or change identities."""
    caller = caller_of(request)
    require_admin(caller, "manage users, application users and groups")
    return caller


class IdentityPages:
    """The identity pages over the installation's directory."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    async def _change(
        self, request: Request, work: Callable[[dict[str, str], str], Any], message: str
    ) -> Response:
        """Check the form and the caller, do `work(form, actor)`, go back with `message`
        (formatted with the form's fields and the path's parameters)."""
        form = await checked_form(request)
        actor = _administrator(request).name
        await run_in_threadpool(work, form, actor)
        return done("/identities", message.format_map({**form, **request.path_params}))

    def named(self, action: Callable[..., None], message: str, not_self: bool = False) -> Handler:
        """A handler that does `action(name, actor=...)` to the identity or group named by
        the path (disable, enable, delete); with `not_self`, never to the acting
        administrator, who would otherwise lock themselves out."""

        def work(name: str, actor: str) -> None:
            if not_self and name.strip().casefold() == actor.casefold():
                raise DefinitionError("you cannot do this to yourself; ask another administrator")
            action(name, actor=actor)

        async def handle(request: Request) -> Response:
            name = request.path_params["name"]
            return await self._change(request, lambda _, actor: work(name, actor), message)

        return handle

    async def overview(self, request: Request) -> Response:
        """Users, application users, groups and the latest audit entries (filtered)."""
        _administrator(request)
        filters = {k: request.query_params.get(k, "").strip() for k in AUDIT_FILTERS}

        def read() -> dict[str, Any]:
            return {
                "users": self.directory.users(),
                "applications": self.directory.application_users(),
                "groups": self.directory.groups(),
                "audit": self.directory.audit_log(
                    AUDIT_ENTRIES, **{k: v or None for k, v in filters.items()}
                ),
            }

        return page(request, "identities.html", filters=filters, **await run_in_threadpool(read))

    async def create_user(self, request: Request) -> Response:
        """A new user who signs in with the password given (typed twice)."""

        def create(form: dict[str, str], actor: str) -> None:
            password = _confirmed(form)
            admin = bool(form.get("admin"))
            self.directory.create_user(
                form.get("name", ""), form.get("email", ""), password, admin, actor=actor
            )

        return await self._change(request, create, "Created user {name}.")

    async def set_password(self, request: Request) -> Response:
        """A new password for a user; their sessions end."""

        def reset(form: dict[str, str], actor: str) -> None:
            name = request.path_params["name"]
            self.directory.set_password(name, _confirmed(form), actor=actor)

        return await self._change(request, reset, "Set a new password for {name}.")

    async def create_application(self, request: Request) -> Response:
        """A new application user; its client id and secret are shown on this one page."""
        form = await checked_form(request)
        actor = _administrator(request).name
        name = form.get("name", "")
        credentials = await run_in_threadpool(self.directory.create_application_user, name, actor)
        return _credentials(request, name, credentials, "Created application user")

    async def reset_secret(self, request: Request) -> Response:
        """A new secret for an application user, shown once; the old one stops working."""
        await checked_form(request)
        actor = _administrator(request).name
        name = request.path_params["name"]
        credentials = await run_in_threadpool(self.directory.reset_application_secret, name, actor)
        return _credentials(request, name, credentials, "New secret for application user")

    async def create_group(self, request: Request) -> Response:
        """A new, empty group."""
        return await self._change(
            request,
            lambda form, actor: self.directory.create_group(form.get("name", ""), actor=actor),
            "Created group {name}.",
        )

    async def add_member(self, request: Request) -> Response:
        """Put a user or application user into a group."""
        group = request.path_params["name"]
        return await self._change(
            request,
            lambda form, actor: self.directory.add_member(
                group, form.get("member", ""), actor=actor
            ),
            "Added {member} to group {name}.",
        )

    async def remove_member(self, request: Request) -> Response:
        """Take a member out of a group."""
        group = request.path_params["name"]
        return await self._change(
            request,
            lambda form, actor: self.directory.remove_member(
                group, form.get("member", ""), actor=actor
            ),
            "Removed {member} from group {name}.",
        )


def _confirmed(form: dict[str, str]) -> str:
    """The password typed twice alike (DefinitionError when the two differ)."""
    password = form.get("password", "")
    if password != form.get("confirm", ""):
        raise DefinitionError("the password and its confirmation differ")
    return password


def _credentials(request: Request, name: str, credentials: Credentials, what: str) -> Response:
    """The one page that shows a secret; the browser is told not to keep it."""
    response = page(request, "credentials.html", name=name, credentials=credentials, what=what)
    response.headers["Cache-Control"] = "no-store"
    return response


def identity_routes(directory: Directory, environments: Environments) -> list[Route]:
    """The identity pages' routes (deleting an identity also takes its roles everywhere)."""
    pages = IdentityPages(directory)

    def removing(kind: MemberKind) -> Callable[..., None]:
        def remove(name: str, actor: str) -> None:
            remove_identity(directory, environments, Member(kind=kind, name=name), actor)

        return remove

    root = f"{BASE}/identities"
    user, app = f"{root}/users/{{name}}", f"{root}/applications/{{name}}"
    group = f"{root}/groups/{{name}}"
    posts = [
        (f"{root}/users", pages.create_user),
        (f"{user}/password", pages.set_password),
        (
            f"{user}/disable",
            pages.named(directory.disable_user, "Disabled user {name}.", not_self=True),
        ),
        (f"{user}/enable", pages.named(directory.enable_user, "Enabled user {name}.")),
        (
            f"{user}/delete",
            pages.named(removing(MemberKind.USER), "Deleted user {name}.", not_self=True),
        ),
        (f"{root}/applications", pages.create_application),
        (f"{app}/secret", pages.reset_secret),
        (f"{app}/disable", pages.named(directory.disable_application_user, "Disabled {name}.")),
        (f"{app}/enable", pages.named(directory.enable_application_user, "Enabled {name}.")),
        (f"{app}/delete", pages.named(removing(MemberKind.APPLICATION), "Deleted {name}.")),
        (f"{root}/groups", pages.create_group),
        (f"{group}/delete", pages.named(removing(MemberKind.GROUP), "Deleted group {name}.")),
        (f"{group}/members", pages.add_member),
        (f"{group}/members/remove", pages.remove_member),
    ]
    return [
        Route(root, pages.overview, methods=["GET"]),
        *(Route(path, handler, methods=["POST"]) for path, handler in posts),
    ]
