"""The agreement workspace as a browser uses it: documents, deadlines, who still has to sign,
the timeline, refused transitions, partner isolation, the lifecycle diagram and the "How
agreements move" page. Its edit form: ``test_web_workspace_edit``."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from omd_gov.agreements import lifecycle, rules
from omd_gov.documents import pdf
from omd_gov.documents.api import PDF_FAILED_FOR_PARTNERS
from omd_gov.documents.pdf import PdfConversionFailed
from tests.documents_support import docx_bytes, upload
from tests.factories import Factory, agreement_payload
from tests.integration.conftest import World
from tests.integration.test_statement_count import counted
from tests.web_support import Browser, browser, csrf_of, sign_in, web_user

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _signed_in(app: Any, factory: Factory, role: str, org: int | None = None) -> Browser:
    _account, email = web_user(factory, role, org)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client


def _page(client: Browser, agreement_id: int) -> str:
    response = client.get(f"/agreements/{agreement_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return str(response.get_data(as_text=True))


def _agreement(world: World, agreement_id: int) -> dict[str, Any]:
    return dict(world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement_id}").json)


def _patch(world: World, agreement_id: int, **fields: Any) -> None:
    version = _agreement(world, agreement_id)["version"]
    edited = world.api.as_(world.data_officer).patch(
        f"/api/v1/agreements/{agreement_id}", json=fields, headers={"If-Match": f'"{version}"'}
    )
    assert edited.status_code == 200, edited.json


def _create(world: World, parties: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    payload = agreement_payload(world.cooperation_id, parties, **overrides)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_the_workspace_shows_and_serves_documents_deadlines_lifecycle_and_timeline(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    document = world.generate_dsa(agreement["id"])
    world.to_state(agreement["id"], "legal_review")
    client = _signed_in(app, factory, "legal_officer", world.city)
    page = _page(client, agreement["id"])
    assert document["sha256"] in page and f"documents/{document['id']}/docx" in page
    assert f"documents/{document['id']}/pdf?inline=1" in page  # the preview frame
    assert "<iframe" in page and 'title="PDF preview of' in page
    assert "Generate the DSA" in page and "Generate the package" in page
    deadlines = page.split('id="deadlines"')[1].split("</section>")[0]
    assert "legal review" in deadlines and "any legal officer" in deadlines
    assert re.findall(r'lc-current" data-state="(\w+)"', page) == ["legal_review"]
    timeline = page.split('id="timeline"')[1]
    assert "create" in timeline and "draft → legal review" in timeline
    assert "(data officer)" in timeline and "last verification run" in timeline
    docx = client.get(f"/agreements/{agreement['id']}/documents/{document['id']}/docx")
    assert docx.status_code == 200 and docx.mimetype == DOCX
    assert docx.headers["Content-Disposition"].startswith("attachment")
    assert docx.headers["X-Content-SHA256"] == document["sha256"]
    assert hashlib.sha256(docx.data).hexdigest() == document["sha256"]
    verified = client.get(f"/agreements/{agreement['id']}/documents/{document['id']}/verify")
    assert "the stored file matches its sha256" in verified.get_data(True)


def test_generating_from_the_page_who_may_and_a_job_being_generated(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    url = f"/agreements/{agreement['id']}/documents"
    legal = _signed_in(app, factory, "legal_officer", world.city)
    token = csrf_of(legal.get(f"/agreements/{agreement['id']}"))
    assert legal.post(url, data={"kind": "dsa", "csrf_token": token}).status_code == 303
    listed = world.api.as_(world.legal).get(f"/api/v1{url}").json["items"]
    assert [item["kind"] for item in listed] == ["dsa"]
    assert listed[0]["sha256"] in _page(legal, agreement["id"])
    signatory = _signed_in(app, factory, "signatory", world.partner)
    page = signatory.get(f"/agreements/{agreement['id']}")
    assert "Generate the DSA" not in page.get_data(as_text=True)
    assert signatory.post(url, data={"kind": "dsa", "csrf_token": csrf_of(page)}).status_code == 403
    bad = legal.post(url, data={"kind": "poem", "csrf_token": token})
    assert bad.status_code == 422 and "Must be one of" in bad.get_data(as_text=True)
    # An uploaded template renders in the worker: the page says it is on its way.
    assert upload(world.api, world.admin, docx_bytes("{{ agreement.title }}")).status_code == 201
    assert legal.post(url, data={"kind": "dsa", "csrf_token": token}).status_code == 303
    assert "being generated" in _page(legal, agreement["id"])
    assert len(world.api.as_(world.legal).get(f"/api/v1{url}").json["items"]) == 1  # not yet


def test_pdf_errors_match_the_api_and_the_preview_is_framable_by_this_site_only(
    app: Any, world: World, factory: Factory, monkeypatch: Any
) -> None:
    agreement = world.create_agreement()
    document = world.generate_dsa(agreement["id"])
    url = f"/agreements/{agreement['id']}/documents/{document['id']}/pdf"
    partner = _signed_in(app, factory, "signatory", world.partner)

    def broken(_docx: bytes) -> bytes:
        raise PdfConversionFailed("soffice at /opt/secret/path crashed")

    monkeypatch.setattr(pdf, "convert", broken)
    failed = partner.get(url)
    assert failed.status_code == 503 and PDF_FAILED_FOR_PARTNERS in failed.get_data(True)
    assert "/opt/secret" not in failed.get_data(as_text=True)
    staff = _signed_in(app, factory, "legal_officer", world.city).get(url)
    assert staff.status_code == 503 and "/opt/secret/path" in staff.get_data(as_text=True)
    monkeypatch.setattr(pdf, "convert", lambda _docx: b"%PDF-1.7 a stand-in\n%%EOF\n")
    inline = partner.get(f"{url}?inline=1")
    assert inline.status_code == 200 and inline.mimetype == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
    download = partner.get(url)
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Frame-Options"] == "DENY"
    assert download.headers["X-Content-SHA256"] == hashlib.sha256(download.data).hexdigest()


def test_a_partner_cannot_reach_another_partners_documents(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    document = world.generate_dsa(agreement["id"])
    outsider = _signed_in(app, factory, "signatory", world.outsider_org)
    base = f"/agreements/{agreement['id']}"
    for url in (
        f"{base}/documents/{document['id']}/docx",
        f"{base}/documents/{document['id']}/pdf",
        f"{base}/documents/{document['id']}/verify",
        f"{base}/lifecycle.svg",
        base,
    ):
        assert outsider.get(url).status_code == 404, url
    party = _signed_in(app, factory, "signatory", world.partner)
    assert party.get(f"{base}/documents/{document['id']}/docx").status_code == 200
    page = _page(party, agreement["id"])
    assert "history of this agreement is for the data office" in page and "Edit the" not in page
    svg = party.get(f"{base}/lifecycle.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert re.findall(r'lc-current" data-state="(\w+)"', svg.get_data(True)) == ["draft"]


def test_while_signing_the_page_says_who_still_has_to_sign(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = world.create_agreement()
    world.to_state(agreement["id"], "signing")
    client = _signed_in(app, factory, "legal_officer", world.city)
    to_sign = _page(client, agreement["id"]).split('id="to-sign"')[1].split("</ul>")[0]
    assert "City" in to_sign and "Partner Co" in to_sign and "Other Partner" not in to_sign
    assert world.fire(agreement["id"], world.sign_city, "sign").status_code == 200
    to_sign = _page(client, agreement["id"]).split('id="to-sign"')[1].split("</ul>")[0]
    assert "City" not in to_sign and "Partner Co" in to_sign
    frozen, page = (
        _agreement(world, agreement["id"])["frozen_sha256"],
        _page(client, agreement["id"]),
    )
    assert "Frozen for signature" in page and frozen and frozen in page


def test_a_refused_transition_lists_every_unmet_guard(
    app: Any, world: World, factory: Factory
) -> None:
    agreement = _create(world, data_assets=[], parties=world.parties()[:1], end_date=None)
    problems = world.fire(agreement["id"], world.data_officer, "submit").json["errors"]
    assert len(problems) >= 3
    client = _signed_in(app, factory, "data_officer", world.city)
    token = csrf_of(client.get(f"/agreements/{agreement['id']}"))
    form = {"trigger": "submit", "csrf_token": token}
    refused = client.post(f"/agreements/{agreement['id']}/transitions", data=form)
    assert refused.status_code == 422
    alert = refused.get_data(as_text=True).split('role="alert"')[1].split("</div>")[0]
    for problem in problems:
        assert f"<li>{problem['message']}</li>" in alert
    assert _agreement(world, agreement["id"])["state"] == "draft"


def test_the_help_page_explains_every_state_and_trigger(app: Any, factory: Factory) -> None:
    client = _signed_in(app, factory, "transparency_officer")
    page = client.get("/help/lifecycle").get_data(as_text=True)
    for state in lifecycle.State:
        assert f'id="state-{state}"' in page
    for trigger, rule in rules.RULES.items():
        row = page.split(f'id="trigger-{trigger}"')[1].split("</tr>")[0]
        for role in rule.roles:
            assert f'data-role="{role}"' in row, (trigger, role)
        if not rule.roles:
            assert "The system only" in row
    assert "lc-current" not in page and "<svg" in page
    svg = client.get("/help/lifecycle.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert browser(app).get("/help/lifecycle").status_code == 302  # sign in first


WORKSPACE_BUDGET = 12


def _grown(world: World, factory: Factory, extra: int) -> int:
    """An agreement in signing with ``extra`` more parties, edits and documents."""
    more = [
        {"organization_id": factory.organization(f"Org {extra}-{n}"), "role": "data_recipient",
         "signs": False}
        for n in range(extra)
    ]  # fmt: skip
    agreement_id = int(_create(world, parties=world.parties() + more)["id"])
    for n in range(extra):
        _patch(world, agreement_id, purpose=f"Purpose {n}")
        world.generate_dsa(agreement_id)
    world.to_state(agreement_id, "signing")
    return agreement_id


def test_the_workspace_sends_as_many_statements_whatever_its_size(
    app: Any, world: World, factory: Factory
) -> None:
    small, large = _grown(world, factory, 0), _grown(world, factory, 5)
    client = _signed_in(app, factory, "legal_officer", world.city)
    counts = []
    for agreement_id in (small, large):
        with counted(app) as seen:
            _page(client, agreement_id)
        counts.append(seen["statements"])  # the page's reads do not grow with the agreement
    assert len(counts[0]) == len(counts[1]), "\n".join(counts[1])
    assert len(counts[1]) <= WORKSPACE_BUDGET, "\n".join(counts[1])
