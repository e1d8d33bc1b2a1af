"""schemathesis over the live server's `openapi.json`: no operation may answer 5xx.

Every operation the document lists (about 220 for the standard model) gets a few generated
requests, valid and invalid, against an environment holding a few records; a 5xx is a bug
(a bad request must be a 4xx OData error). Responses must also have a status, content type,
headers and body the document declares for the operation. The examples per operation are
bounded, so the whole run stays well under a minute; `COMMONGROUND_FUZZ_EXAMPLES` raises the
bound for a longer hunt."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_odata_api import account
from tests.fixtures.serving import headers_as_tester

EXAMPLES = int(os.environ.get("COMMONGROUND_FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def seed(client: httpx.Client) -> None:
    """A few records, so that some reads by key and lookups find something."""
    for n in range(1, 4):
        created = client.post("Accounts", json=account(f"Fuzz {n}", AccountId=f"FUZZ-{n}"))
        assert created.status_code == 201, created.text


@pytest.fixture(scope="module")
def headers(server: str) -> dict[str, str]:
    """The bearer token every generated request is sent with."""
    return headers_as_tester(server)


@pytest.fixture(scope="module")
def api_schema(server: str, client: httpx.Client, headers: dict[str, str]) -> Any:
    seed(client)
    return schemathesis.openapi.from_url(f"{server}openapi.json", headers=headers)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    """EXAMPLES generated requests to one operation, each answered as CHECKS demand."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_no_operation_answers_5xx(api_schema: Any, headers: dict[str, str]) -> None:
    """Valid and invalid requests to every operation; each failure is listed, then the test
    fails with all of them (one run shows every bug, not only the first)."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, headers)
            except Unsatisfiable:  # nothing to break: e.g. no parameters to make invalid
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # failed checks: keep the message
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
