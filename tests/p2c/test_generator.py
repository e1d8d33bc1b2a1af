"""The sample data: deterministic, proportional, messy on purpose."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.apps.generator import SampleData, Volumes


def test_one_seed_gives_the_same_records_at_any_batch_size() -> None:
    volumes = Volumes.for_accounts(300)
    first = [r for b in SampleData(volumes, seed=7, batch=50).accounts() for r in b]
    second = [r for b in SampleData(volumes, seed=7, batch=1000).accounts() for r in b]
    assert first == second
    assert first != [r for b in SampleData(volumes, seed=8).accounts() for r in b]


def test_volumes_are_proportional() -> None:
    volumes = Volumes.for_accounts(10_000)
    assert (volumes.contacts, volumes.products) == (15_000, 500)
    data = SampleData(volumes)
    assert sum(len(b) for b in data.contacts()) == 15_000


def test_the_data_is_messy_on_purpose() -> None:
    data = SampleData(Volumes.for_accounts(2000))
    accounts = [r for b in data.accounts() for r in b]
    countries = {a["address1_country"] for a in accounts}
    assert {"US", "USA", "United States", "", None} <= countries
    assert any(len(a["name"]) > 100 for a in accounts)
    contacts = [r for b in data.contacts() for r in b]
    assert any(c["msdynce_contactnumber"] is None for c in contacts)  # must fail: no key
    assert len({a["accountnumber"] for a in accounts}) == len(accounts)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 5000), st.integers(0, 2**31))
def test_a_record_depends_only_on_seed_and_position(i: int, seed: int) -> None:
    volumes = Volumes.for_accounts(10)
    assert SampleData(volumes, seed).account(i) == SampleData(volumes, seed).account(i)
    assert SampleData(volumes, seed).product(i)["PRODUCTNUMBER"] == f"P{i:06d}"
