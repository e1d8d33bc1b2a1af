"""Sample data for the Prospect to Cash apps: deterministic, proportional, and as messy as
real data.

One seed gives the same records every time, at any scale: names, streets and companies come
from small pools drawn once with Faker and combined by a seeded random generator, which keeps
millions of records fast. The mess is deliberate and counted: countries spelled several ways
or left blank, optional values missing, strings longer than the destination keeps, amounts
with decimals, and a few records that must fail (a contact without its number) so the error
paths show.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from faker import Faker

COUNTRIES = (
    ("US", 40),
    ("USA", 12),
    ("United States", 10),
    ("united states", 4),
    ("DE", 6),
    ("Germany", 6),
    ("FR", 4),
    ("France", 3),
    ("GB", 3),
    ("United Kingdom", 2),
    ("CA", 3),
    ("", 4),
    (None, 3),
)
CURRENCIES = ("USD",)
UNITS = ("ea", "pcs", "box", "kg")
POOL = 600


@dataclass(frozen=True)
class Volumes:
    """How many records of each kind, in proportion to the accounts."""

    accounts: int
    contacts: int
    products: int

    @classmethod
    def for_accounts(cls, accounts: int) -> Volumes:
        """The demo's proportions: 1.5 contacts per account, one product per 20 accounts."""
        return cls(
            accounts=accounts,
            contacts=accounts * 3 // 2,
            products=max(20, accounts // 20),
        )


@dataclass(frozen=True)
class _Pools:
    first: list[str]
    last: list[str]
    companies: list[str]
    streets: list[str]
    cities: list[str]
    states: list[str]
    words: list[str]


@cache
def _pools(seed: int) -> _Pools:
    """Names, streets and words drawn once per seed (Faker is slow per call)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return _Pools(
        first=[fake.first_name() for _ in range(POOL)],
        last=[fake.last_name() for _ in range(POOL)],
        companies=[fake.company() for _ in range(POOL)],
        streets=[fake.street_address() for _ in range(POOL)],
        cities=[fake.city() for _ in range(POOL)],
        states=[fake.state_abbr() for _ in range(60)],
        words=[fake.word() for _ in range(POOL)],
    )


def account_number(i: int) -> str:
    """The Sales account number of the i-th account (`ACC-01000-BVRCPS` style)."""
    return f"ACC-{i:06d}"


def contact_number(i: int) -> str:
    """The Sales contact number of the i-th contact (`CON-01000-BVRCPS` style)."""
    return f"CON-{i:06d}"


def product_number(i: int) -> str:
    """The Operations product number of the i-th product."""
    return f"P{i:06d}"


class SampleData:
    """Records of both apps for one seed and scale, in batches."""

    def __init__(self, volumes: Volumes, seed: int = 2026, batch: int = 5000) -> None:
        self.volumes = volumes
        self.seed = seed
        self.batch = batch
        pools = _pools(seed)
        self.first, self.last, self.companies = pools.first, pools.last, pools.companies
        self.streets, self.cities, self.states = pools.streets, pools.cities, pools.states
        self.words = pools.words
        countries, weights = zip(*COUNTRIES, strict=True)
        self._countries = list(countries)
        self._weights = list(weights)

    def _random(self, kind: str, i: int) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{i}")

    def _country(self, rng: random.Random) -> str | None:
        country: str | None = rng.choices(self._countries, self._weights)[0]
        return country

    def _batches(self, count: int, make: Any) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, count, self.batch):
            yield [make(i) for i in range(start, min(start + self.batch, count))]

    # -- Sales -------------------------------------------------------------------------

    def account(self, i: int) -> dict[str, Any]:
        """The i-th Sales account."""
        rng = self._random("account", i)
        name = f"{rng.choice(self.companies)} {i}"
        if i % 97 == 5:  # longer than an Operations name column keeps
            name = f"{name} International Holdings and Trading Company of the Greater {name} Region"
        record: dict[str, Any] = {
            "accountnumber": account_number(i),
            "name": name,
            "creditlimit": Decimal(rng.randrange(0, 50_000_00)) / 100,
            "numberofemployees": rng.randrange(1, 5000),
            "telephone1": f"+1 555 {rng.randrange(10_000):04d}",
            "emailaddress1": f"info{i}@example.com",
            "websiteurl": f"https://www.example{i}.com",
            "description": rng.choice(self.words) if rng.random() < 0.5 else None,
            "address1_line1": rng.choice(self.streets),
            "address1_city": rng.choice(self.cities),
            "address1_stateorprovince": rng.choice(self.states),
            "address1_postalcode": f"{rng.randrange(100_000):05d}",
            "address1_country": self._country(rng),
        }
        if rng.random() < 0.4:
            record.update(
                {
                    "address2_line1": rng.choice(self.streets),
                    "address2_city": rng.choice(self.cities),
                    "address2_stateorprovince": rng.choice(self.states),
                    "address2_postalcode": f"{rng.randrange(100_000):05d}",
                    "address2_country": self._country(rng),
                }
            )
        if rng.random() < 0.1:
            record["fax"] = f"+1 555 {rng.randrange(10_000):04d}"
        return record

    def accounts(self) -> Iterator[list[dict[str, Any]]]:
        """Every Sales account, in batches."""
        return self._batches(self.volumes.accounts, self.account)

    def contact(self, i: int) -> dict[str, Any]:
        """The i-th Sales contact: most work at an account; some are customers themselves."""
        rng = self._random("contact", i)
        first, last = rng.choice(self.first), rng.choice(self.last)
        record: dict[str, Any] = {
            "msdynce_contactnumber": contact_number(i) if i % 211 != 7 else None,  # must fail
            "firstname": first,
            "middlename": rng.choice(self.first) if rng.random() < 0.2 else None,
            "lastname": last,
            "fullname": f"{first} {last}",
            "emailaddress1": f"{first.lower()}.{last.lower()}{i}@example.com",
            "telephone1": f"+1 555 {rng.randrange(10_000):04d}",
            "jobtitle": rng.choice(("Buyer", "CFO", "Owner", "Engineer", None)),
            "address1_line1": rng.choice(self.streets),
            "address1_city": rng.choice(self.cities),
            "address1_stateorprovince": rng.choice(self.states),
            "address1_postalcode": f"{rng.randrange(100_000):05d}",
            "address1_country": self._country(rng),
            "msdynce_isactivecustomer": i % 5 == 0,
            "creditlimit": Decimal(rng.randrange(0, 5_000_00)) / 100,
            "parent_accountnumber": account_number(rng.randrange(self.volumes.accounts))
            if self.volumes.accounts
            else None,
        }
        return record

    def contacts(self) -> Iterator[list[dict[str, Any]]]:
        """Every Sales contact, in batches (`parent_accountnumber` names its company)."""
        return self._batches(self.volumes.contacts, self.contact)

    # -- Operations ----------------------------------------------------------------------

    def product(self, i: int) -> dict[str, Any]:
        """The i-th sellable released product of the Operations app."""
        rng = self._random("product", i)
        word = rng.choice(self.words).title()
        price = Decimal(rng.randrange(100, 500_000)) / 100
        return {
            "PRODUCTNUMBER": product_number(i),
            "PRODUCTNAME": f"{word} {i}",
            "PRODUCTDESCRIPTION": f"{word} for everyday use" if rng.random() < 0.7 else None,
            "SALESPRICE": price,
            "UNITCOST": (price * Decimal("0.6")).quantize(Decimal("0.01")),
            "SALESUNITSYMBOL": rng.choice(UNITS),
            "CURRENCYCODE": rng.choice(CURRENCIES),
            "ISSTOCKEDPRODUCT": rng.random() < 0.8,
            "PRODUCTTYPE": "Item" if rng.random() < 0.9 else "Service",
            "SALESUNITDECIMALPRECISION": rng.choice((0, 2)),
        }

    def products(self) -> Iterator[list[dict[str, Any]]]:
        """Every Operations product, in batches."""
        return self._batches(self.volumes.products, self.product)
