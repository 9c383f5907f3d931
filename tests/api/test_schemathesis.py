"""Schemathesis (the real tool) over every operation of the OpenAPI description, with a valid
token of the province's regulator: no server error, every response conforming to its schema
(status, content type, body, headers), and no event stored by a request that was refused.

The application is built once for the schema; each operation's test hands it the backend of
a fresh world (tests/api/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.auths import AuthContext
from schemathesis.checks import CheckFunction
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.backend import Backend
from tests.api.conftest import World, bearer

TOKEN = "reg-prov"  # reads the whole province, writes


CURRENT: list[Backend] = []  # the backend of the running test's world


@contextmanager
def _current() -> Iterator[Backend]:
    """The backend the app's lifespan opens: the running test's (none while loading)."""
    yield CURRENT[-1] if CURRENT else cast(Backend, None)


APP = create_app(_current)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.auth(refresh_interval=None)
class Token:
    """Every request carries the valid token (schemathesis then leaves the credential alone
    instead of sending a generated one)."""

    def get(self, case: Case[Any], ctx: AuthContext) -> str:
        return TOKEN

    def set(self, case: Case[Any], data: str, ctx: AuthContext) -> None:
        case.headers.update(bearer(data))


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_and_a_refused_request_writes_nothing(
    case: Case[Any], world: World
) -> None:
    CURRENT.append(world.backend)
    APP.state.backend = world.backend
    before = world.events()
    response = case.call()
    # A command that satisfies its catalog schema may still break a rule no JSON Schema
    # states (the order of dates, the actor's current key, the record's lifecycle): the
    # domain refuses it with 422 naming the rule, which positive_data_acceptance would count
    # as a schema-valid request rejected. Every other check holds for commands too.
    skip: list[CheckFunction] = [positive_data_acceptance] if case.path == "/v1/commands" else []
    case.validate_response(response, excluded_checks=skip)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert world.events() == before, (case.method, case.path, response.text)
