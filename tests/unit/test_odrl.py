"""The ODRL Agreement (Eclipse Dataspace Protocol 2025-1) built from transient
rows (no database, no Flask): validated against the protocol's JSON Schema
and read as JSON-LD by rdflib, both from the copies in the repository
(``omd_gov/register/standards/``), with no network. ``validate`` and
``to_graph`` are shared with the API tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from referencing import Registry, Resource

from omd_gov.agreements.lifecycle import SIGNED_STATES, State
from omd_gov.agreements.models import Agreement, DataAsset, Party, Signature
from omd_gov.errors import Conflict
from omd_gov.organizations.models import Organization
from omd_gov.register import odrl

STANDARD = Path(odrl.__file__).parent / "standards" / "dataspace-protocol-2025-1"
DSPACE = Namespace("https://w3id.org/dspace/2025/1/")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
COUNTRY = Namespace(odrl.COUNTRY_AUTHORITY)
XSD_DATETIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
LOCAL_CONTEXTS = {
    odrl.DSPACE_CONTEXT: STANDARD / "context" / "dspace.jsonld",
    odrl.ODRL_PROFILE_CONTEXT: STANDARD / "context" / "odrl.jsonld",
}
BASE = "https://omd.example"
ENTRY = f"{BASE}/register/OMD-2026-0007"
DOC_BASE = "https://doc.invalid/policy.jsonld"  # where relative IRIs would land


def _registry() -> Registry:
    """The protocol's schemas under their ``$id``s; no retriever, so a
    reference outside these files fails instead of reaching the network."""
    resources = []
    for path in sorted(STANDARD.glob("*/*-schema.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


AGREEMENT = "negotiation/contract-schema.json#/definitions/Agreement"


def validate(document: Any, schema: str = AGREEMENT) -> None:
    """Raise jsonschema.ValidationError unless ``document`` is valid against
    ``schema`` (a path under the protocol's base, with a JSON pointer)."""
    reference = {"$ref": str(DSPACE) + schema}
    jsonschema.Draft201909Validator(reference, registry=REGISTRY).validate(document)


def to_graph(document: dict[str, Any]) -> Graph:
    """The document as RDF, its remote contexts read from the local copies
    (a context that is not stored here raises KeyError: no network)."""
    contexts = [
        json.loads(LOCAL_CONTEXTS[c].read_text())["@context"] if isinstance(c, str) else c
        for c in document["@context"]
    ]
    local = {**document, "@context": contexts}
    return Graph().parse(data=json.dumps(local), format="json-ld", base=DOC_BASE)


def _party(org_id: int, role: str) -> Party:
    organization = Organization(id=org_id, name=f"Org {org_id}")
    return Party(organization=organization, organization_id=org_id, role=role)


def _agreement(**overrides: Any) -> Agreement:
    """A signed agreement: the city (controller) shares with a recipient."""
    agreement = Agreement(
        reference="OMD-2026-0007",
        state="active",
        purpose="Plan the city's energy transition.",
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
        gdpr={"retention": "P2Y", "recipients": ["Energy agency"]},
        activated_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    agreement.parties = [_party(10, "controller"), _party(20, "data_recipient")]
    agreement.data_assets = [
        DataAsset(position=0, name="Meter readings", personal_data=True),
        DataAsset(position=1, name="Asset list", personal_data=False),
    ]
    agreement.signatures = [
        Signature(signed_at=datetime(2026, 3, 1, 10, 0, 5, 250000, tzinfo=UTC)),
        Signature(signed_at=datetime(2026, 3, 1, 16, 30, 0, tzinfo=UTC)),
    ]
    for name, value in overrides.items():
        setattr(agreement, name, value)
    return agreement


def _policy(**overrides: Any) -> dict[str, Any]:
    return odrl.agreement_policy(_agreement(**overrides), BASE + "/")


def test_the_agreement_validates_and_embeds_in_a_contract_agreement_message() -> None:
    document = _policy()
    validate(document)
    validate(document, "negotiation/contract-schema.json")  # a Policy: exactly one of its kinds
    message = {
        "@context": [odrl.DSPACE_CONTEXT],
        "@type": "ContractAgreementMessage",
        "providerPid": "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "agreement": {k: v for k, v in document.items() if k != "@context"},
    }
    validate(message, "negotiation/contract-agreement-message-schema.json")
    # The validator itself: the protocol's own example passes, a change to it fails.
    example = json.loads(
        (STANDARD / "examples" / "contract-agreement-message-full.json").read_text()
    )
    validate(example, "negotiation/contract-agreement-message-schema.json")
    del example["agreement"]["assignee"]
    with pytest.raises(jsonschema.ValidationError):
        validate(example, "negotiation/contract-agreement-message-schema.json")


def _drop(path: tuple[Any, ...]) -> Any:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path
        node: Any = document
        for key in parents:
            node = node[key]
        del node[last]

    return change


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        *parents, last = path
        node: Any = document
        for key in parents:
            node = node[key]
        node[last] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _drop(("assignee",)),
        _drop(("assigner",)),
        _drop(("target",)),
        _drop(("@id",)),
        _set(("@type",), "Offer"),
        _set(("assignee",), {"@id": "https://omd.example/organizations/20"}),
        _set(("target",), [f"{ENTRY}#asset-0", f"{ENTRY}#asset-1"]),
        _set(("timestamp",), "1 March 2026"),
        _set(("permission",), []),
        _drop(("permission", 0, "action")),
        _set(("permission", 0, "constraint", 0, "operator"), "before"),
        _drop(("permission", 0, "constraint", 2, "rightOperand")),
        _set(("obligation",), []),
    ],
    ids=["no-assignee", "no-assigner", "no-target", "no-id", "offer", "assignee-object",
         "target-list", "timestamp-text", "no-permission", "no-action", "unknown-operator",
         "no-right-operand", "empty-obligation"],
)  # fmt: skip
def test_a_broken_agreement_fails_the_schema(change: Any) -> None:
    document = _policy()
    change(document)
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_the_json_ld_reads_every_field_with_the_protocols_contexts() -> None:
    graph = to_graph(_policy())
    policy = URIRef(f"{ENTRY}#policy")
    assert (policy, RDF.type, ODRL.Agreement) in graph
    assert graph.value(policy, ODRL.assigner) == URIRef(f"{BASE}/organizations/10")
    assert graph.value(policy, ODRL.assignee) == URIRef(f"{BASE}/organizations/20")
    assert graph.value(policy, ODRL.target) == URIRef(f"{ENTRY}#assets")
    # The last signature, to the second, as an xsd:dateTime.
    stamp = graph.value(policy, DSPACE.timestamp)
    assert isinstance(stamp, Literal) and stamp.datatype == XSD_DATETIME
    assert stamp.toPython() == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    permissions = list(graph.objects(policy, ODRL.permission))
    targets = {graph.value(p, ODRL.target) for p in permissions}
    assert targets == {URIRef(f"{ENTRY}#asset-0"), URIRef(f"{ENTRY}#asset-1")}
    for permission in permissions:
        assert graph.value(permission, ODRL.action) == ODRL.use
        assert _constraints(graph, permission) == {
            (ODRL.dateTime, ODRL.gteq, Literal(date(2026, 1, 1))),
            (ODRL.dateTime, ODRL.lteq, Literal(date(2027, 12, 31))),
            (ODRL.purpose, ODRL.eq, Literal("Plan the city's energy transition.")),
        }
    duty = graph.value(policy, ODRL.obligation)
    assert graph.value(duty, ODRL.action) == ODRL.delete
    assert _constraints(graph, duty) == {(ODRL.dateTime, ODRL.lteq, Literal(date(2029, 12, 31)))}
    prohibition = graph.value(policy, ODRL.prohibition)
    assert graph.value(prohibition, ODRL.action) == ODRL.distribute
    # Nothing was dropped or read as a relative IRI: every term is ODRL's or the protocol's.
    predicates = set(graph.predicates())
    assert all(p == RDF.type or str(p).startswith((str(ODRL), str(DSPACE))) for p in predicates)
    assert not [t for t in graph.all_nodes() if str(t).startswith("https://doc.invalid")]


def _constraints(graph: Graph, rule: Any) -> set[tuple[Any, Any, Any]]:
    out = set()
    for constraint in graph.objects(rule, ODRL.constraint):
        values = sorted(graph.objects(constraint, ODRL.rightOperand))
        right = values[0] if len(values) == 1 else tuple(values)
        out.add((graph.value(constraint, ODRL.leftOperand),
                 graph.value(constraint, ODRL.operator), right))  # fmt: skip
    return out


def test_a_context_not_stored_in_the_repository_is_never_fetched() -> None:
    document = {**_policy(), "@context": ["https://example.org/other-context.jsonld"]}
    with pytest.raises(KeyError):
        to_graph(document)


@pytest.mark.parametrize("state", [s for s in State if s not in SIGNED_STATES])
def test_an_agreement_that_was_never_signed_is_refused(state: State) -> None:
    with pytest.raises(Conflict, match=f"is {state}"):
        _policy(state=str(state))


@pytest.mark.parametrize("state", SIGNED_STATES)
def test_every_signed_state_is_an_agreement(state: State) -> None:
    validate(_policy(state=str(state)))


@pytest.mark.parametrize(
    ("roles", "assigner", "assignee"),
    [
        (["controller", "data_recipient"], 1, 2),
        (["data_recipient", "controller", "data_provider"], 3, 1),  # provider before controller
        (["controller", "processor"], 1, 2),
        (["processor", "controller", "data_recipient"], 2, 3),  # recipient before processor
        (["joint_controller", "data_provider"], 2, 1),
        (["data_provider", "controller"], 1, 2),  # the controller receives
        (["controller", "joint_controller"], 1, 2),
    ],
)
def test_assigner_and_assignee_follow_the_roles(
    roles: list[str], assigner: int, assignee: int
) -> None:
    parties = [_party(n, role) for n, role in enumerate(roles, start=1)]
    document = _policy(parties=parties)
    assert document["assigner"] == f"{BASE}/organizations/{assigner}"
    assert document["assignee"] == f"{BASE}/organizations/{assignee}"


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["data_provider", "data_provider", "data_recipient"], "2 parties in the role data_pro"),
        (["controller", "data_recipient", "data_recipient"], "2 parties in the role data_rec"),
        (["joint_controller", "joint_controller"], "2 parties in the role joint_con"),
        (["processor", "data_recipient"], "no provider party"),
        (["data_provider"], "no recipient party"),
    ],
)  # fmt: skip
def test_parties_that_name_no_single_provider_or_recipient_are_refused(
    roles: list[str], message: str
) -> None:
    parties = [_party(n, role) for n, role in enumerate(roles, start=1)]
    with pytest.raises(Conflict, match=message):
        _policy(parties=parties)


def test_the_timestamp_is_the_last_live_signature_in_utc() -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    signatures = [
        Signature(signed_at=datetime(2026, 6, 1, 12, 0, 0, tzinfo=lisbon_summer)),
        Signature(signed_at=datetime(2026, 6, 2, 9, 0, tzinfo=UTC), voided_at=datetime.now(UTC)),
    ]
    assert _policy(signatures=signatures)["timestamp"] == "2026-06-01T11:00:00Z"
    assert _policy(signatures=[])["timestamp"] == "2026-03-02T09:00:00Z"  # the activation
    with pytest.raises(Conflict, match="no signature time"):
        _policy(signatures=[], activated_at=None)


def test_the_term_constraints_follow_the_dates() -> None:
    document = _policy(start_date=None)
    constraints = document["permission"][0]["constraint"]
    assert [(c["leftOperand"], c["operator"]) for c in constraints] == [
        ("odrl:dateTime", "lteq"),
        ("odrl:purpose", "eq"),
    ]
    validate(document)


def _eea() -> list[dict[str, str]]:
    return [{"@id": str(COUNTRY[code])} for code in odrl.EEA_COUNTRIES]


@pytest.mark.parametrize(
    ("recipient_role", "gdpr", "personal", "expected"),
    [
        ("data_recipient", {"recipients": ["Agency"]}, True, "outside-eea"),
        ("data_recipient", {"recipients": ["Agency"], "transfers_outside_eea": True}, True, None),
        ("data_recipient", {"recipients": []}, True, "all"),
        ("data_recipient", {}, True, "all"),
        ("processor", {"recipients": ["Agency"], "transfers_outside_eea": True}, True, "all"),
        ("processor", {}, False, None),  # no personal data: the GDPR says nothing
    ],
)
def test_onward_transfer_is_prohibited_where_the_agreement_calls_for_it(
    recipient_role: str, gdpr: dict[str, Any], personal: bool, expected: str | None
) -> None:
    assets = [DataAsset(position=0, name="Readings", personal_data=personal)]
    parties = [_party(1, "controller"), _party(2, recipient_role)]
    document = _policy(parties=parties, data_assets=assets, gdpr={**gdpr, "retention": "P1Y"})
    validate(document)
    prohibitions = document.get("prohibition")
    if expected is None:
        assert prohibitions is None
    elif expected == "all":
        assert prohibitions == [{"action": "odrl:distribute"}]
    else:
        spatial = {"leftOperand": "odrl:spatial", "operator": "isNoneOf", "rightOperand": _eea()}
        assert prohibitions == [{"action": "odrl:distribute", "constraint": [spatial]}]
        assert len(odrl.EEA_COUNTRIES) == len(set(odrl.EEA_COUNTRIES)) == 30


def test_the_delete_duty_needs_a_retention_period_and_an_end_date() -> None:
    assert "obligation" not in _policy(gdpr={"recipients": ["Agency"]})
    assert "obligation" not in _policy(end_date=None)
    with pytest.raises(Conflict, match="not an ISO 8601 duration"):
        _policy(gdpr={"retention": "two years"})


@pytest.mark.parametrize(
    ("end", "retention", "expected"),
    [
        (date(2027, 12, 31), "P2Y", date(2029, 12, 31)),
        (date(2027, 8, 31), "P18M", date(2029, 2, 28)),  # to the month's end
        (date(2027, 2, 28), "P1Y", date(2028, 2, 28)),
        (date(2028, 2, 29), "P1Y", date(2029, 2, 28)),
        (date(2027, 12, 31), "P1Y2M10D", date(2029, 3, 10)),
        (date(2027, 12, 31), "P2W", date(2028, 1, 14)),
        (date(2027, 12, 31), "PT36H", date(2028, 1, 1)),  # whole days, rounded down
        (date(2027, 12, 31), "p6m", date(2028, 6, 30)),
        (date(2027, 12, 31), "P", None),
        (date(2027, 12, 31), "2Y", None),
        (date(2027, 12, 31), "P2Y ago", None),
    ],
)
def test_retention_counts_from_the_end_date(end: date, retention: str, expected: Any) -> None:
    assert odrl.retention_end(end, retention) == expected


def test_the_iris_are_stable_whatever_the_base_url_ends_with() -> None:
    with_slash = odrl.agreement_policy(_agreement(), BASE + "/")
    without = odrl.agreement_policy(_agreement(), BASE)
    assert with_slash == without
    assert with_slash["@id"] == odrl.policy_iri(BASE, "OMD-2026-0007") == f"{ENTRY}#policy"
    assert odrl.asset_iri(BASE + "/", "OMD-2026-0007", 3) == f"{ENTRY}#asset-3"


def test_the_document_is_not_shared_between_calls() -> None:
    first = _policy()
    pristine = copy.deepcopy(first)
    first["@context"].append({"evil": "https://example.org/"})
    first["permission"][0]["constraint"].clear()
    assert _policy() == pristine
