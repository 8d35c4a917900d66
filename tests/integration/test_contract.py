"""The API keeps its published contract under generated input: schemathesis
builds requests for every operation in ``/openapi.json`` and fails on any
5xx, undocumented status, undocumented content type or response that does
not match its schema. It runs as an admin, a legal officer and a partner
signatory, over a world with agreements in several states.

CI runs a bounded, derandomised pass (``OMD_CONTRACT_EXAMPLES``, default 6
per operation and phase); ``make fuzz`` runs it long with fresh seeds.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from omd_gov import create_app
from tests.factories import Account
from tests.integration.conftest import World

EXAMPLES = int(os.environ.get("OMD_CONTRACT_EXAMPLES", "6"))
DERANDOMIZE = os.environ.get("OMD_CONTRACT_RANDOM") != "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _published_document() -> dict[str, Any]:
    """``/openapi.json`` as the app serves it. Read once at collection, from a
    throw-away app: the document does not depend on the data."""
    with tempfile.TemporaryDirectory() as directory:
        application = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": "contract",
                "OMD_STORAGE_DIR": directory,
                "OMD_BROKER_URL": f"filesystem://{directory}/broker",
            }
        )
        return dict(application.test_client().get("/openapi.json").json)


SCHEMA = schemathesis.openapi.from_dict(_published_document())


@pytest.fixture
def seeded(world: World) -> World:
    """Data worth reaching: a draft, an agreement in review and an active one
    (with its frozen DSA and open deadlines)."""
    world.create_agreement()
    in_review = world.create_agreement()["id"]
    world.to_state(in_review, "legal_review")
    active = world.create_agreement()["id"]
    world.to_state(active, "active")
    return world


# Shrinking is left out: a failure is reported as found, and the run stays bounded.
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _exercise_every_operation(app: Any, account: Account) -> None:
    """Every operation, with valid and with invalid input, as this caller;
    all failures are collected so one run reports them all."""
    failures = []
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        for mode in MODES:

            @SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                case.call_and_validate(app=app, headers=account.headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # no input of this operation can be invalid
            except Exception as error:  # noqa: BLE001 - each failure is reported below
                failures.append(f"{operation.label} ({mode.value} input): {error}")
    assert not failures, "\n\n".join(failures)


def test_the_contract_holds_for_an_admin(app: Any, seeded: World) -> None:
    _exercise_every_operation(app, seeded.admin)


def test_the_contract_holds_for_a_legal_officer(app: Any, seeded: World) -> None:
    _exercise_every_operation(app, seeded.legal)


def test_the_contract_holds_for_a_partner_signatory(app: Any, seeded: World) -> None:
    _exercise_every_operation(app, seeded.sign_partner)
