"""A signed agreement as an ODRL ``Agreement`` in the Eclipse Dataspace
Protocol 2025-1 form (issue 8): the bridge to data-space connectors. Built
from the agreement each time it is read; no Flask here. Every mapping
decision is written down in docs/DATASPACE.md."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, timedelta
from typing import Any

from omd_gov.agreements.lifecycle import SIGNED_STATES
from omd_gov.agreements.models import Agreement, Party
from omd_gov.agreements.schemas import ISO_DURATION
from omd_gov.deadlines.schedule import add_months
from omd_gov.errors import Conflict

DSPACE_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
ODRL_PROFILE_CONTEXT = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"

# Who grants (assigner) and who receives (assignee): the first tier with a party wins.
PROVIDER_ROLES = ("data_provider", "controller", "joint_controller")
RECIPIENT_ROLES = ("data_recipient", "processor", "joint_controller", "controller")

# The EEA: the 27 EU member states, Iceland, Liechtenstein and Norway, as the
# EU Publications Office's country authority table names them.
COUNTRY_AUTHORITY = "http://publications.europa.eu/resource/authority/country/"
EEA_COUNTRIES = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA",
    "DEU", "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD",
    "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR",
)  # fmt: skip


def entry_iri(base_url: str, reference: str) -> str:
    """The agreement's register entry (the public page's address)."""
    return f"{base_url.rstrip('/')}/register/{reference}"


def policy_iri(base_url: str, reference: str) -> str:
    """The Agreement's ``@id``; the DCAT catalogue's ``odrl:hasPolicy`` points here."""
    return f"{entry_iri(base_url, reference)}#policy"


def asset_iri(base_url: str, reference: str, position: int) -> str:
    return f"{entry_iri(base_url, reference)}#asset-{position}"


def party_iri(base_url: str, organization_id: int) -> str:
    return f"{base_url.rstrip('/')}/organizations/{organization_id}"


def context() -> list[Any]:
    """The protocol's context, its ODRL profile, and ``timestamp``: the DSP context
    maps it (to ``dspace:timestamp``) only inside a ContractAgreementMessage, so
    an Agreement standing alone maps it itself, or JSON-LD would drop it."""
    timestamp = {"@id": "dspace:timestamp", "@type": "xsd:dateTime"}
    return [DSPACE_CONTEXT, ODRL_PROFILE_CONTEXT, {"timestamp": timestamp}]


def agreement_policy(agreement: Agreement, base_url: str) -> dict[str, Any]:
    """The ODRL Agreement of a signed agreement (409 when it cannot be one)."""
    if agreement.state not in SIGNED_STATES:
        raise Conflict(
            f"agreement {agreement.reference} is {agreement.state}: only a signed agreement "
            "(active, expired, terminated or superseded) is an ODRL Agreement"
        )
    if not agreement.data_assets:
        raise Conflict(f"agreement {agreement.reference} has no data asset to target")
    assigner = _party(agreement, PROVIDER_ROLES, "provider", exclude=None)
    assignee = _party(agreement, RECIPIENT_ROLES, "recipient", exclude=assigner)
    entry = entry_iri(base_url, agreement.reference)
    document: dict[str, Any] = {
        "@context": context(),
        "@id": policy_iri(base_url, agreement.reference),
        "@type": "Agreement",
        "target": f"{entry}#assets",
        "assigner": party_iri(base_url, assigner.organization_id),
        "assignee": party_iri(base_url, assignee.organization_id),
        "timestamp": _timestamp(agreement),
        "permission": [
            {"action": "use", "target": asset_iri(base_url, agreement.reference, a.position),
             "constraint": _use_constraints(agreement)}
            for a in agreement.data_assets
        ],
    }  # fmt: skip
    prohibition = _onward_transfer(agreement, assignee)
    if prohibition is not None:
        document["prohibition"] = [prohibition]
    deletion = _deletion(agreement)
    if deletion is not None:
        document["obligation"] = [deletion]
    return document


def _party(agreement: Agreement, tiers: Sequence[str], what: str, exclude: Party | None) -> Party:
    """The one party of the first role tier that has any; several in that tier
    would make the Agreement name one of them arbitrarily, so it is refused."""
    for role in tiers:
        found = [p for p in agreement.parties if p.role == role and p is not exclude]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(p.organization.name for p in found)
            raise Conflict(
                f"agreement {agreement.reference} has {len(found)} parties in the role "
                f"{role} ({names}); an ODRL Agreement names one {what}"
            )
    raise Conflict(
        f"agreement {agreement.reference} has no {what} party (one of the roles {', '.join(tiers)})"
    )


def _timestamp(agreement: Agreement) -> str:
    """When the agreement was concluded: its last live signature (else its activation)."""
    signed = [s.signed_at for s in agreement.live_signatures]
    moment = max(signed) if signed else agreement.activated_at
    if moment is None:
        raise Conflict(f"agreement {agreement.reference} has no signature time")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": f"odrl:{left}", "operator": operator, "rightOperand": right}


def _date(day: date) -> dict[str, str]:
    return {"@value": day.isoformat(), "@type": "xsd:date"}


def _use_constraints(agreement: Agreement) -> list[dict[str, Any]]:
    """Use from the start date to the end date, both days included, for the purpose."""
    out = []
    if agreement.start_date is not None:
        out.append(_constraint("dateTime", "gteq", _date(agreement.start_date)))
    if agreement.end_date is not None:
        out.append(_constraint("dateTime", "lteq", _date(agreement.end_date)))
    return [*out, _constraint("purpose", "eq", agreement.purpose)]


def _onward_transfer(agreement: Agreement, assignee: Party) -> dict[str, Any] | None:
    """Passing personal data on to third parties (``odrl:distribute``): refused
    outright to a processor (Art. 28(2), 28(3)(a) GDPR) and when the GDPR
    profile lists no further recipients (Art. 30(1)(d)); else refused outside
    the EEA unless the agreement allows transfers there (Chapter V)."""
    if not agreement.shares_personal_data:
        return None
    gdpr = agreement.gdpr or {}
    if assignee.role == "processor" or not gdpr.get("recipients"):
        return {"action": "odrl:distribute"}
    if gdpr.get("transfers_outside_eea"):
        return None
    eea = [{"@id": COUNTRY_AUTHORITY + code} for code in EEA_COUNTRIES]
    return {"action": "odrl:distribute", "constraint": [_constraint("spatial", "isNoneOf", eea)]}


def _deletion(agreement: Agreement) -> dict[str, Any] | None:
    """Delete no later than the end date plus the retention period."""
    retention = (agreement.gdpr or {}).get("retention")
    if not retention or agreement.end_date is None:
        return None
    deadline = retention_end(agreement.end_date, retention)
    if deadline is None:
        raise Conflict(f"the retention period {retention!r} is not an ISO 8601 duration")
    return {
        "action": "odrl:delete",
        "constraint": [_constraint("dateTime", "lteq", _date(deadline))],
    }


def retention_end(end: date, retention: str) -> date | None:
    """``end`` plus an ISO 8601 duration (``P2Y``, ``P18M``, ``P1Y2M10D``): years
    and months by the calendar (31 Jan + P1M = 28/29 Feb), weeks and days
    exactly, a time part in whole days rounded down. None when unparseable."""
    match = ISO_DURATION.match(retention.strip().upper())
    if match is None:
        return None
    groups = match.groups()
    units = groups[:4] + groups[5:]  # groups[4] is the whole time part ("T12H")
    years, months, weeks, days, hours, minutes, seconds = (int(u[:-1]) if u else 0 for u in units)
    later = add_months(end, 12 * years + months)
    return later + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
