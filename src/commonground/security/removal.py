"""Removing an identity from the installation: from the directory, and its role grants from
every environment, so nothing of it is left for a later identity of the same name."""

from __future__ import annotations

from commonground.security.directory import Directory
from commonground.security.permissions import Member, MemberKind
from commonground.service.environments import Environments


def remove_identity(
    directory: Directory, environments: Environments, member: Member, actor: str
) -> None:
    """Delete a user, application user or group, then its roles everywhere."""
    delete = {
        MemberKind.USER: directory.delete_user,
        MemberKind.APPLICATION: directory.delete_application_user,
        MemberKind.GROUP: directory.delete_group,
    }[member.kind]
    delete(member.name, actor=actor)
    environments.drop_member(member, actor)
