"""What a batch update writes: the columns that may differ, not the key it matched on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from commonground.service.environment import Environment
from tests.fixtures.records import account


@contextmanager
def updates_sent(env: Environment) -> Iterator[list[str]]:
    """The SQL of every UPDATE of the Account table sent while the block runs."""
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE") and "account" in statement.lower():
            sent.append(statement)

    event.listen(env.db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(env.db.engine, "before_cursor_execute", capture)


def set_list(statement: str) -> str:
    """The SET part of an UPDATE (between SET and WHERE)."""
    upper = statement.upper()
    return statement[upper.index(" SET ") : upper.rindex(" WHERE ")]


def test_an_upsert_by_key_leaves_the_key_out_of_its_update(env: Environment) -> None:
    env.upsert("Account", [account(f"Firm {n}", AccountId=f"A{n}") for n in range(3)])
    changed = [account("Renamed", AccountId="A0"), account("Firm 1", AccountId="A1")]
    with updates_sent(env) as sent:
        result = env.upsert("Account", changed)
    assert (result.updated, result.unchanged) == (1, 1)
    assert sent, "the changed record was updated"
    assert all("FullName" in set_list(s) for s in sent)
    assert not any("AccountId" in set_list(s) for s in sent)
    stored = env.get("Account", result.record_ids[0])
    assert (stored["AccountId"], stored["FullName"]) == ("A0", "Renamed")
    assert stored["VersionNumber"] == result.versions[0]


def test_an_update_by_record_id_still_writes_every_given_field(env: Environment) -> None:
    first = env.upsert("Account", [account("Firm", AccountId="B0")])
    rid = first.record_ids[0]
    with updates_sent(env) as sent:
        env.update("Account", [{"RecordId": rid, "AccountId": "B1", "FullName": "Moved"}])
    assert any("AccountId" in set_list(s) for s in sent)
    stored = env.get("Account", rid)
    assert (stored["AccountId"], stored["FullName"]) == ("B1", "Moved")
