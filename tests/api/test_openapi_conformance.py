"""Schemathesis over every operation of the OpenAPI document, on both databases.

Each operation gets generated requests, valid and invalid, with a key that holds every scope
(and ids that exist, mixed with ones that do not). The hub must never answer 5xx, every status
it answers with must be one the document names for that operation, and every body must match the
schema the document gives for that status and content type (Schemathesis's response-schema and
content-type checks). Failures are collected over all operations, so one run lists every mismatch.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from tests.conftest import active_agreement

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(app, make_partner):  # type: ignore[no-untyped-def]
    """Two partners with an active agreement and an item: the fuzzer meets real state."""
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))

    async def world() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
            await active_agreement(http, alpha, beta, {})
            item = {"uri": "urn:alpha:1", "version": "1", "language": "en",
                    "headlines": [{"role": "main", "value": "Media forum in Astana"}],
                    "bodies": [{"role": "main", "contentType": "text/plain", "value": "Text."}]}
            assert (await http.post("/api/v1/items", json=item, headers=alpha.headers)).status_code == 201

    asyncio.run(world())
    return app, alpha


def operations(app):  # type: ignore[no-untyped-def]
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.path != "/api/v1/stream":  # an endless stream: covered by its own tests
            yield operation


def run(operation, answers_well, checked: list[str], failures: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One operation's examples; a failure is noted with the operation and the fuzzing goes on."""
    name = f"{operation.method.upper()} {operation.path}"
    checked.append(name)
    try:
        answers_well()
    except (Exception, BaseExceptionGroup) as exc:  # Schemathesis reports its failures as a BaseExceptionGroup
        failures.append(f"{name}: {exc}"[:3000])


def test_every_answer_is_documented_and_none_is_a_server_error(seeded) -> None:  # type: ignore[no-untyped-def]
    app, alpha = seeded
    checked: list[str] = []
    failures: list[str] = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def answers_well(case) -> None:  # type: ignore[no-untyped-def]
            if case.query and "wait" in case.query:
                case.query["wait"] = min(int(case.query["wait"]) if str(case.query["wait"]).isdigit() else 0, 1)
            case.call_and_validate(headers={**(case.headers or {}), **alpha.headers},
                                   checks=CHECKS)

        run(operation, answers_well, checked, failures)
    assert not failures, "\n\n".join(failures)
    assert len(checked) > 40, checked


STRANGER_EXAMPLES = 4


def test_a_stranger_gets_no_server_error_and_only_documented_answers(seeded, make_partner) -> None:  # type: ignore[no-untyped-def]
    """The same operations with the key of an organization that is party to nothing."""
    app, _alpha = seeded
    stranger = make_partner("stranger", scopes=("publish", "read", "manage"))
    checked: list[str] = []
    failures: list[str] = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(max_examples=STRANGER_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def answers_well(case) -> None:  # type: ignore[no-untyped-def]
            if case.query and "wait" in case.query:
                case.query["wait"] = 0
            case.call_and_validate(headers={**(case.headers or {}), **stranger.headers},
                                   checks=CHECKS)

        run(operation, answers_well, checked, failures)
    assert not failures, "\n\n".join(failures)
    assert len(checked) > 40, checked
