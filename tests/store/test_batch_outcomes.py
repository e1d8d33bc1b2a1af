"""Upsert outcomes of mixed batches against a plain model of what is stored.

The batch writer takes whole-column shortcuts for the usual bulk batch (one group, all new,
all unchanged, no failures); these batches mix groups, repeated keys, new, changed and
unchanged records, so the shortcuts and the careful path must agree with the model.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.service.writes import Outcome
from tests.fixtures.records import account

KEYS = 6
example_numbers = itertools.count()

records = st.lists(
    st.tuples(
        st.integers(0, KEYS - 1),  # the record's key
        st.sampled_from(["a", "b"]),  # its FullName
        st.one_of(st.none(), st.integers(0, 2)),  # EmployeeCount; None: not given
    ),
    max_size=8,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(records, min_size=1, max_size=3))
def test_upsert_outcomes_match_a_model_of_the_stored_records(env, batches) -> None:
    prefix = f"T{next(example_numbers)}-"
    stored: dict[str, dict[str, Any]] = {}  # AccountId -> the fields given so far
    ids: dict[str, int] = {}
    for batch in batches:
        given_records = []
        for key, name, count in batch:
            fields: dict[str, Any] = {"AccountId": f"{prefix}{key}"}
            if count is not None:
                fields["EmployeeCount"] = count
            given_records.append(account(name, **fields))
        expected, seen = [], set()
        for record in given_records:
            key = record["AccountId"]
            if key in seen:
                expected.append(Outcome.FAILED)
                continue
            seen.add(key)
            if key not in stored:
                expected.append(Outcome.INSERTED)
                stored[key] = dict(record)
            elif all(stored[key].get(f) == v for f, v in record.items()):
                expected.append(Outcome.UNCHANGED)
            else:
                expected.append(Outcome.UPDATED)
                stored[key].update(record)
        token = env.current_token()
        result = env.upsert("Account", given_records, key="AccountId", skip_errors=True)
        assert result.outcomes == expected, (batch, result.errors)
        assert [e.code for e in result.errors] == ["DuplicateInBatch"] * expected.count(
            Outcome.FAILED
        )
        written = expected.count(Outcome.INSERTED) + expected.count(Outcome.UPDATED)
        assert env.current_token() == token + written
        for record, outcome, rid, version in zip(
            given_records, result.outcomes, result.record_ids, result.versions, strict=True
        ):
            if outcome is Outcome.FAILED:
                assert (rid, version) == (None, None)
                continue
            key = record["AccountId"]
            assert ids.setdefault(key, rid) == rid
            row = env.get("Account", rid)
            assert row["VersionNumber"] == version
            for field, value in stored[key].items():
                assert row[field] == value
