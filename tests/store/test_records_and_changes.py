"""Store: batch row access, sequences and "changes since a position" with paging."""

from __future__ import annotations

import pytest

from commonground.query import Query
from commonground.store import records as rows_store
from commonground.store.changes import changes_since, current_position
from commonground.store.database import CHANGE_SEQUENCE
from commonground.store.prepared import SMALL_IN
from tests.fixtures.records import account, contact


def collect(env, entity: str, token: int, limit: int) -> tuple[list, list, list[int], int]:
    """Page through changes; returns changed rows, tombstones, the tokens seen, calls made."""
    changed, deleted, tokens, calls = [], [], [], 0
    while True:
        page = env.changes_since(entity, token, limit=limit)
        calls += 1
        assert len(page.changed) + len(page.deleted) <= limit
        changed += page.changed
        deleted += page.deleted
        tokens.append(page.token)
        if not page.more:
            return changed, deleted, tokens, calls
        assert page.token > token
        token = page.token


def test_changes_since_zero_lists_every_record_in_position_order(env):
    env.create("Account", [account(f"A{i}") for i in range(5)])
    env.update("Account", [{"RecordId": 2, "FullName": "A1 renamed"}])
    changes = env.changes_since("Account", 0)
    assert [r["RecordId"] for r in changes.changed] == [1, 3, 4, 5, 2]
    versions = [r["VersionNumber"] for r in changes.changed]
    assert versions == sorted(versions)
    assert changes.changed[-1]["FullName"] == "A1 renamed"
    assert changes.token == env.current_token()
    assert changes.more is False


def test_changes_since_the_current_token_is_empty(env):
    env.create("Account", [account("A")])
    token = env.current_token()
    changes = env.changes_since("Account", token)
    assert (changes.changed, changes.deleted, changes.token, changes.more) == ([], [], token, False)


def test_changes_are_per_entity(env):
    acc = env.create("Account", [account("A"), account("B")]).record_ids
    token = env.current_token()
    env.create("Contact", [contact("Ann", PrimaryAccount=acc[0])])
    env.delete("Account", [acc[1]])
    contact_changes = env.changes_since("Contact", token)
    assert [r["FullName"] for r in contact_changes.changed] == ["Ann"]
    assert contact_changes.deleted == []
    account_changes = env.changes_since("Account", token)
    assert account_changes.changed == []
    assert [s.record_id for s in account_changes.deleted] == [acc[1]]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_paging_with_a_limit_returns_every_change_once(env, limit):
    ids = env.create("Account", [account(f"A{i}") for i in range(8)]).record_ids
    start = env.current_token() - 8  # every position the batch took
    env.delete("Account", [ids[1], ids[4]])
    env.update("Account", [{"RecordId": ids[0], "FullName": "first again"}])
    env.delete("Account", [ids[6]])

    changed, deleted, tokens, calls = collect(env, "Account", start, limit)

    survivors = {ids[0], ids[2], ids[3], ids[5], ids[7]}
    assert sorted(r["RecordId"] for r in changed) == sorted(survivors)
    assert sorted(s.record_id for s in deleted) == sorted([ids[1], ids[4], ids[6]])
    assert tokens == sorted(set(tokens))
    assert tokens[-1] == env.current_token()
    assert calls == max(1, -(-8 // limit))  # 8 changes: 5 rows and 3 tombstones
    positions = [r["VersionNumber"] for r in changed] + [s.position for s in deleted]
    assert len(positions) == len(set(positions)) == 8


def test_limit_equal_to_the_number_of_changes_needs_one_call(env):
    env.create("Account", [account("A"), account("B"), account("C")])
    page = env.changes_since("Account", 0, limit=3)
    assert len(page.changed) == 3
    assert page.more is False
    assert page.token == env.current_token()


def test_a_page_ends_at_the_last_position_it_returns(env):
    env.create("Account", [account(f"A{i}") for i in range(5)])
    page = env.changes_since("Account", 0, limit=2)
    assert page.more is True
    assert page.token == page.changed[-1]["VersionNumber"]
    rest = env.changes_since("Account", page.token, limit=10)
    assert [r["RecordId"] for r in rest.changed] == [3, 4, 5]
    assert rest.more is False


def test_store_changes_since_reads_committed_positions_only(env):
    env.create("Account", [account("A")])
    with env.reading() as conn:
        before = current_position(env.db, conn)
        raw = changes_since(env.db, conn, "Account", 0, 10)
    assert before == env.current_token()
    assert raw.upto == before
    with env.db.write() as conn:
        first = env.db.allocate(conn, CHANGE_SEQUENCE, 5)
        with env.reading() as reader:  # another connection: the allocation is not committed
            assert current_position(env.db, reader) == before
        assert first == before + 1
        assert env.db.current(conn, CHANGE_SEQUENCE) == before + 5
    assert env.current_token() == before + 5


def test_sequences_hand_out_consecutive_numbers(env):
    with env.db.write() as conn:
        assert env.db.allocate(conn, "test:seq", 3) == 1
        assert env.db.allocate(conn, "test:seq", 2) == 4
        assert env.db.current(conn, "test:seq") == 5
        assert env.db.current(conn, "test:unknown") == 0


def test_fetch_by_values_matches_single_and_multi_column_keys(env, monkeypatch):
    env.create("Account", [account(f"A{i}", EmployeeCount=i % 3) for i in range(10)])
    table = env.db.table("Account")
    monkeypatch.setattr(rows_store, "MAX_PARAMS", 4)  # force several chunks
    with env.reading() as conn:
        single = rows_store.fetch_by_values(
            conn, table, ["AccountId"], [("ACC000002",), ("ACC000009",), ("NOPE",)], ["FullName"]
        )
        multi = rows_store.fetch_by_values(
            conn,
            table,
            ["FullName", "EmployeeCount"],
            [("A1", 1), ("A2", 2), ("A3", 1), ("A4", 1), ("A5", 2), ("A6", 0)],
            ["RecordId"],
        )
        assert rows_store.fetch_by_values(conn, table, ["AccountId"], [], ["FullName"]) == []
        existing = rows_store.existing_ids(conn, table, list(range(5, 15)))
    assert sorted(single) == [("ACC000002", "A1"), ("ACC000009", "A8")]
    assert sorted(multi) == [("A1", 1, 2), ("A2", 2, 3), ("A4", 1, 5), ("A5", 2, 6), ("A6", 0, 7)]
    assert existing == set(range(5, 11))


def test_small_and_bulk_matching_find_the_same_rows(env):
    """Up to SMALL_IN values use a statement prepared for their count; more use the bulk
    path (an expanding IN list, in chunks). Both give the same rows."""
    env.create("Account", [account(f"A{i}", EmployeeCount=i % 3) for i in range(40)])
    table = env.db.table("Account")
    pairs = [(f"A{i}", i % 3) for i in range(0, 40, 2)] + [("A1", 2), ("nobody", 0)]
    with env.reading() as conn:
        for count in (1, SMALL_IN, SMALL_IN + 1, len(pairs)):
            wanted = pairs[:count]
            multi = rows_store.fetch_by_values(
                conn, table, ["FullName", "EmployeeCount"], wanted, ["RecordId"]
            )
            single = rows_store.fetch_by_values(
                conn, table, ["FullName"], [(n,) for n, _ in wanted], ["EmployeeCount"]
            )
            expected = sorted(
                (n, c) for n, c in wanted if n.startswith("A") and (n, c) != ("A1", 2)
            )
            assert sorted((n, c) for n, c, _ in multi) == expected
            assert sorted(single) == sorted(
                (n, int(n[1:]) % 3) for n, _ in wanted if n.startswith("A")
            )


def test_referencing_ids_finds_lookups_to_targets(env):
    acc = env.create("Account", [account("A"), account("B"), account("C")]).record_ids
    cons = env.create(
        "Contact",
        [contact("x", PrimaryAccount=acc[0]), contact("y", PrimaryAccount=acc[2]), contact("z")],
    ).record_ids
    with env.reading() as conn:
        found = rows_store.referencing_ids(
            conn, env.db.table("Contact"), "PrimaryAccount", [acc[0], acc[1], acc[2]]
        )
    assert sorted(found) == [(cons[0], acc[0]), (cons[1], acc[2])]


def test_insert_update_and_delete_rows_in_driver_form(env):
    """The store's raw batch paths, used by restore and by the service's writer."""
    rid = env.create("Account", [account("A")]).record_ids[0]
    table = env.db.table("Account")
    with env.db.write() as conn:
        rows_store.update_rows(conn, table, ["FullName", "EmployeeCount"], [("Renamed", 7, rid)])
    stored = env.get("Account", rid)
    assert (stored["FullName"], stored["EmployeeCount"]) == ("Renamed", 7)
    with env.db.write() as conn:
        rows_store.delete_rows(conn, table, [rid])
        assert rows_store.existing_ids(conn, table, [rid]) == set()


def test_a_read_transaction_is_one_consistent_snapshot(env, more_envs):
    """Queries, includes, change reads and backups that span several statements agree."""
    env.create("Account", [account("A")])
    other = more_envs().open(env.name)
    with env.reading() as conn:
        before = env.reader.count(conn, Query("Account"))
        token = current_position(env.db, conn)
        other.create("Account", [account("B")])  # committed while the read is open
        assert env.reader.count(conn, Query("Account")) == before == 1
        assert current_position(env.db, conn) == token
        assert [r["FullName"] for r in env.reader.query(conn, Query("Account"))] == ["A"]
    assert env.count(Query("Account")) == 2
