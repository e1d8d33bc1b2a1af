"""Concurrent writers and a change-tracking reader: no committed change is ever missed.

Several writer threads, each with its own Environments object on the same database, upsert,
update and delete Accounts in transactions; some keys are shared, so writers overwrite each
other. One reader thread follows `changes_since` from token 0 the whole time and folds what
it sees into RecordId -> (VersionNumber, FullName), dropping deleted ids. When the writers are
done and the reader has caught up, its view must equal the table exactly.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from commonground.security.caller import Caller
from commonground.service.environment import Environment
from commonground.service.environments import Environments
from tests.fixtures.records import account

WRITERS = 4
BATCHES = 30
SHARED_KEYS = 15
DEADLINE = 60.0  # seconds a thread may take before the test gives up on it


def write(env: Environment, writer: int, seed: int) -> None:
    """BATCHES transactions of about 20 upserts, updates and deletes each."""
    rng = random.Random(seed)
    own: dict[str, int] = {}  # this writer's keys -> RecordId
    for batch in range(BATCHES):
        with env.transaction(Caller(f"writer{writer}", admin=True)) as tx:
            keys = [f"W{writer}-{rng.randrange(40)}" for _ in range(8)]
            keys += [f"SHARED-{rng.randrange(SHARED_KEYS)}" for _ in range(4)]
            unique_keys = list(dict.fromkeys(keys))
            records = [
                account(f"{key} by {writer} in {batch}", AccountId=key) for key in unique_keys
            ]
            result = tx.upsert("Account", records)
            for key, rid in zip(unique_keys, result.record_ids, strict=True):
                if key.startswith("W") and rid is not None:
                    own[key] = rid
            if own:
                chosen = rng.sample(sorted(own), min(5, len(own)))
                tx.update(
                    "Account",
                    [{"RecordId": own[k], "EmployeeCount": rng.randrange(1000)} for k in chosen],
                )
                doomed = rng.sample(sorted(own), min(3, len(own)))
                tx.delete("Account", [own.pop(k) for k in doomed])


def follow(
    env: Environment,
    started: threading.Event,
    writers_done: threading.Event,
    view: dict[int, tuple[int, str]],
) -> int:
    """Fold changes into `view` until the writers are done and everything is read."""
    token, calls = 0, 0
    while True:
        if calls == 1:
            started.set()
        done = writers_done.is_set()  # taken before the read: the last read sees it all
        page = env.changes_since("Account", token, limit=37)
        calls += 1
        events: list[tuple[int, Callable[[], None]]] = []
        for record in page.changed:
            rid, version = record["RecordId"], record["VersionNumber"]
            assert version > token
            assert version <= page.token
            events.append(
                (version, lambda r=rid, v=version, n=record["FullName"]: view.update({r: (v, n)}))
            )
        for stone in page.deleted:
            assert token < stone.position <= page.token
            events.append((stone.position, lambda r=stone.record_id: view.pop(r, None)))
        for _, apply in sorted(events, key=lambda e: e[0]):
            apply()
        assert page.token >= token
        token = page.token
        if done and not page.more:
            return calls


def run(target: Callable[[], object], failures: list[BaseException]) -> threading.Thread:
    def guarded() -> None:
        try:
            target()
        except BaseException as exc:  # handed to the main thread
            failures.append(exc)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    return thread


def test_a_change_follower_misses_no_committed_change(
    env: Environment, more_envs: Callable[[], Environments]
):
    writer_envs = [more_envs().open(env.name) for _ in range(WRITERS)]
    reader_env = more_envs().open(env.name)
    failures: list[BaseException] = []
    writers_done = threading.Event()
    view: dict[int, tuple[int, str]] = {}
    reads: list[int] = []

    started = threading.Event()
    reader = run(lambda: reads.append(follow(reader_env, started, writers_done, view)), failures)
    assert started.wait(DEADLINE)  # the reader reads before, while and after the writers write
    writers = [
        run(lambda e=e, w=w: write(e, w, seed=1000 + w), failures)
        for w, e in enumerate(writer_envs)
    ]
    for thread in writers:
        thread.join(DEADLINE)
    writers_done.set()
    reader.join(DEADLINE)

    assert not any(t.is_alive() for t in [*writers, reader]), "a thread did not finish"
    assert failures == []
    final = {
        r["RecordId"]: (r["VersionNumber"], r["FullName"])
        for batch in env.scan("Account")
        for r in batch
    }
    assert view == final
    assert len(final) > 2 * SHARED_KEYS
    assert reads[0] > 2
    shared = [name for _, name in final.values() if name.startswith("SHARED-")]
    assert len(shared) == SHARED_KEYS
    # Every change took its own position: versions are unique across the table.
    versions = [version for version, _ in final.values()]
    assert len(set(versions)) == len(versions)
