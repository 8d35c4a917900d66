"""The documents API: generation, listing, download, roles and partner
isolation, and the template registry. Uses small built-in templates (see
``tests/documents_support.py``) so each render takes milliseconds."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from omd_gov.agreements.models import Agreement
from omd_gov.audit.models import AuditEvent
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import db, transaction
from omd_gov.documents import generation, registry, services
from omd_gov.documents.models import Document, TemplateVersion
from omd_gov.organizations.models import Organization
from tests.documents_support import (  # noqa: F401
    BUILTIN_TEMPLATES,
    docx_bytes,
    docx_text,
    generate_in_worker,
    generation_worker,
    small_templates,
    upload,
    use_builtins,
)
from tests.factories import agreement_payload
from tests.integration.conftest import World

pytestmark = pytest.mark.usefixtures("small_templates")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _generate(world: World, agreement_id: int, kind: str = "dsa", **body: Any) -> Any:
    return world.api.as_(body.pop("account", world.legal)).post(
        f"/api/v1/agreements/{agreement_id}/documents", json={"kind": kind, **body}
    )


def _party(world: World, org: int, role: str, signs: bool = True) -> dict[str, Any]:
    return {"organization_id": org, "role": role, "signs": signs}


def _create(world: World, parties: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    payload = agreement_payload(world.cooperation_id, parties, **overrides)
    response = world.api.as_(world.data_officer).post("/api/v1/agreements", json=payload)
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_generate_download_and_list(world: World) -> None:
    agreement = world.create_agreement()
    response = _generate(world, agreement["id"], language="en")
    assert response.status_code == 201, response.json
    [document] = response.json["items"]
    assert document["kind"] == "dsa" and document["language"] == "en"
    assert (document["template_name"], document["template_version"]) == ("dsa_en", 1)
    assert document["agreement_version"] == agreement["version"]
    assert document["pdf"]["status"] == "not_converted" and document["frozen_at"] is None

    download = world.api.as_(world.data_officer).get(document["links"]["docx"])
    assert download.status_code == 200 and download.mimetype == DOCX
    assert hashlib.sha256(download.data).hexdigest() == document["sha256"]
    assert download.headers["X-Content-SHA256"] == document["sha256"]
    disposition = download.headers["Content-Disposition"]
    assert f"filename={agreement['reference']}-dsa-en-v{agreement['version']}" in disposition
    text = docx_text(download.data)
    assert 'Energy data & <sharing> "pilot"' in text  # exactly as typed
    assert "Party: City" in text and "Party: Partner Co" in text
    assert "{{" not in text and "{%" not in text

    listed = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement['id']}/documents")
    assert [item["id"] for item in listed.json["items"]] == [document["id"]]


def test_package_follows_the_parties_roles(world: World) -> None:
    with_processor = world.create_agreement()  # the world's partner is a processor
    package = _generate(world, with_processor["id"], "package", language="pt")
    assert package.status_code == 201, package.json
    kinds = [item["kind"] for item in package.json["items"]]
    assert kinds == ["dsa", "annex_art28", "canvas"]
    assert {item["package_id"] for item in package.json["items"]} == {package.json["package_id"]}
    assert all(item["template_name"].endswith("_pt") for item in package.json["items"])

    joint = _create(
        world,
        [_party(world, world.city, "joint_controller"),
         _party(world, world.partner, "joint_controller")],
    )  # fmt: skip
    kinds = [
        i["kind"] for i in _generate(world, joint["id"], "package", language="es").json["items"]
    ]
    assert kinds == ["dsa", "annex_art26", "canvas"]

    no_personal = world.create_agreement(personal=False)
    kinds = [i["kind"] for i in _generate(world, no_personal["id"], "package").json["items"]]
    assert kinds == ["dsa", "canvas"]
    refused = _generate(world, no_personal["id"], "annex")
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "no GDPR annex applies" in refused.json["detail"]
    assert "shares no personal data" in refused.json["detail"]


def test_language_defaults_to_the_callers(world: World, factory: Any) -> None:
    spanish_officer = factory.user("legal_officer", world.city, language="es")
    agreement = world.create_agreement()
    response = _generate(world, agreement["id"], "canvas", account=spanish_officer)
    assert response.status_code == 201, response.json
    assert response.json["items"][0]["template_name"] == "canvas_es"
    header = docx_text(
        world.api.as_(world.legal).get(response.json["items"][0]["links"]["docx"]).data
    )
    assert f"[es] {agreement['reference']}" in header


@pytest.mark.parametrize(
    "body, field",
    [({"kind": "memo"}, "kind"), ({"kind": "dsa", "language": "fr"}, "language"), ({}, "kind")],
)
def test_bad_requests_are_422(world: World, body: dict[str, Any], field: str) -> None:
    agreement = world.create_agreement()
    response = world.api.as_(world.legal).post(
        f"/api/v1/agreements/{agreement['id']}/documents", json=body
    )
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json["errors"]}


def test_roles_and_partner_isolation(world: World) -> None:
    agreement = world.create_agreement()
    base = f"/api/v1/agreements/{agreement['id']}/documents"
    assert world.api.post(base, json={"kind": "dsa"}).status_code == 401
    for account in (world.transparency, world.auditor, world.sign_partner):
        assert _generate(world, agreement["id"], account=account).status_code == 403
    for account in (world.data_officer, world.admin):
        assert _generate(world, agreement["id"], account=account).status_code == 201
    document = _generate(world, agreement["id"]).json["items"][0]
    content, verify = document["links"]["docx"], document["links"]["verify"]

    # A party's signatory sees its own agreement's documents...
    assert world.api.as_(world.sign_partner).get(base).status_code == 200
    assert world.api.as_(world.sign_partner).get(content).status_code == 200
    assert world.api.as_(world.sign_partner).get(verify).json["matches"] is True
    # ... an outsider sees nothing, not even that they exist.
    for url in (base, content, verify):
        response = world.api.as_(world.sign_outsider).get(url)
        assert response.status_code == 404, url
    assert world.api.get(content).status_code == 401
    # A document id under another agreement's URL is not found either.
    other = world.create_agreement()
    misplaced = content.replace(f"/agreements/{agreement['id']}/", f"/agreements/{other['id']}/")
    assert world.api.as_(world.legal).get(misplaced).status_code == 404
    missing = "/api/v1/agreements/999999/documents"
    assert world.api.as_(world.legal).post(missing, json={"kind": "dsa"}).status_code == 404


def test_generation_is_audited(world: World) -> None:
    agreement = world.create_agreement()
    items = _generate(world, agreement["id"], "package").json["items"]
    events = world.api.as_(world.auditor).get(f"/api/v1/agreements/{agreement['id']}/events").json
    generated = [e for e in events if e["action"] == "generate_document"]
    assert [e["changes"]["sha256"] for e in generated] == [i["sha256"] for i in items]
    assert all(e["actor_id"] == world.legal.user_id for e in generated)
    assert generated[0]["changes"]["template"] == "dsa_en v1"


def test_an_edit_during_rendering_is_a_conflict(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering holds no lock; a version that moved meanwhile must not be stored."""
    agreement = world.create_agreement()
    real_render = generation.render

    def render_while_someone_edits(plan: Any, context: dict[str, Any]) -> bytes:
        with db.engine.begin() as connection:
            connection.execute(
                update(Agreement).values(content_version=Agreement.content_version + 1)
            )
        return real_render(plan, context)

    monkeypatch.setattr(generation, "render", render_while_someone_edits)
    response = _generate(world, agreement["id"])
    assert response.status_code == 409
    assert "changed" in response.json["detail"]
    listed = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}/documents")
    assert listed.json["items"] == []


def _row_counts() -> tuple[int, int]:
    db.session.rollback()  # a fresh snapshot
    counts = tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (TemplateVersion, AuditEvent)
    )
    db.session.rollback()  # end the read
    return counts  # type: ignore[return-value]


def _forget_templates(app: Any) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(delete(TemplateVersion))


def test_requests_never_register_the_built_ins(world: World, app: Any) -> None:
    """Only ``omd-gov init`` does: a request without templates says what is missing."""
    agreement = world.create_agreement()
    _forget_templates(app)
    before = _row_counts()
    assert world.api.as_(world.legal).get("/api/v1/templates").json == []
    assert world.api.as_(world.legal).get("/api/v1/templates/dsa_en/versions").status_code == 404
    missing = _generate(world, agreement["id"])
    assert missing.status_code == 422 and "omd-gov init" in missing.json["detail"]
    assert _row_counts() == before

    assert services.install_builtins(app) == 12  # what `omd-gov init` calls
    assert services.install_builtins(app) == 12  # and again: nothing twice
    assert _row_counts() == (12, before[1] + 12)  # one audit event per registration
    listed = world.api.as_(world.legal).get("/api/v1/templates")
    names = {(t["name"], t["kind"], t["language"], t["source"]) for t in listed.json}
    assert ("dsa_en", "dsa", "en", "builtin") in names and len(names) == 12


def test_only_the_same_version_race_is_ignored(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forget_templates(app)
    real_register = registry.register_builtin

    def register_twice(session: Any, builtin: Any) -> None:
        real_register(session, builtin)  # as if another process registered it meanwhile
        real_register(session, builtin)

    monkeypatch.setattr(registry, "register_builtin", register_twice)
    services.register_builtins(db.session)  # the unique (name, language, version) race: ignored
    assert _row_counts()[0] == 0  # nothing half-registered

    def register_broken(session: Any, builtin: Any) -> None:
        session.add(TemplateVersion(name=builtin.name, language="en", version=1))
        session.flush()  # NOT NULL kind: a real error, never mistaken for the race

    monkeypatch.setattr(registry, "register_builtin", register_broken)
    with pytest.raises(IntegrityError):
        services.register_builtins(db.session)


def test_the_newest_upload_is_used_and_rendered_by_the_worker(
    world: World, app: Any, tmp_path: Path
) -> None:
    first = upload(world.api, world.admin, docx_bytes("Custom v1 {{ agreement.reference }}"))
    assert first.status_code == 201, first.json
    assert (first.json["version"], first.json["source"]) == (1, "upload")
    assert first.json["variables"] == ["agreement"]
    second = upload(world.api, world.admin, docx_bytes("Custom v2 {{ agreement.title }}"))
    assert second.json["version"] == 2
    versions = world.api.as_(world.admin).get("/api/v1/templates/custom_dsa_en/versions").json
    assert [v["version"] for v in versions] == [2, 1]

    agreement = world.create_agreement()
    with generation_worker(app, tmp_path):
        done = generate_in_worker(world, agreement["id"])
        canvas = _generate(world, agreement["id"], "canvas")  # built-in: rendered at once
    assert done.status_code == 200 and done.json["status"] == "done", done.json
    [document] = done.json["items"]
    assert (document["template_name"], document["template_version"]) == ("custom_dsa_en", 2)
    text = docx_text(world.api.as_(world.legal).get(document["links"]["docx"]).data)
    assert 'Custom v2 Energy data & <sharing> "pilot"' in text
    assert canvas.status_code == 201 and canvas.json["items"][0]["template_name"] == "canvas_en"
    # The job is the agreement's: hidden from outsiders like the agreement itself.
    job_url = done.json["links"]["self"]
    assert world.api.as_(world.sign_outsider).get(job_url).status_code == 404
    assert world.api.as_(world.sign_partner).get(job_url).json["status"] == "done"

    events = world.api.as_(world.auditor).get("/api/v1/audit/events?entity_type=template")
    if events.status_code == 200:  # the audit API's filters belong to the core
        assert "upload_template" in {e["action"] for e in events.json.get("items", events.json)}


def test_slow_work_refuses_to_run_inside_a_callers_transaction(world: World) -> None:
    """Generation and conversion end the session's transaction before slow work;
    inside a caller's unit of work they refuse instead of discarding its changes."""
    agreement = world.create_agreement()
    dsa = _generate(world, agreement["id"]).json["items"][0]
    user = db.session.get(User, world.legal.user_id)
    document = db.session.get(Document, dsa["id"])
    assert user is not None and document is not None
    with transaction(db.session):
        kept = Organization(name="Kept Org", kind="company", country="PT", tax_id="PT1")
        db.session.add(kept)
        with pytest.raises(RuntimeError, match="inside an open omd_gov.db.transaction"):
            services.generate(db.session, Actor.of(user, "api"), agreement["id"], "dsa", "en")
        with pytest.raises(RuntimeError, match="inside an open omd_gov.db.transaction"):
            services.ensure_pdf(db.session, document)
        assert kept in db.session  # the caller's work is still there
    stored = db.session.execute(select(Organization.id).where(Organization.name == "Kept Org"))
    assert stored.scalar_one_or_none() is not None


def test_template_endpoints_enforce_roles(world: World) -> None:
    data = docx_bytes("Hello {{ agreement.reference }}")
    assert upload(world.api, world.legal, data).status_code == 403
    assert upload(world.api, world.data_officer, data).status_code == 403
    assert world.api.post("/api/v1/templates").status_code == 401
    assert world.api.as_(world.sign_partner).get("/api/v1/templates").status_code == 403
    missing = world.api.as_(world.admin).get("/api/v1/templates/nope/versions")
    assert missing.status_code == 404


def test_upload_refusals_for_names_and_duplicates(world: World) -> None:
    data = docx_bytes("Hello {{ agreement.reference }}")
    assert upload(world.api, world.admin, data).status_code == 201
    duplicate = upload(world.api, world.admin, data)
    assert (
        duplicate.status_code == 422
        and "already custom_dsa_en version 1" in duplicate.json["detail"]
    )
    other_kind = upload(
        world.api, world.admin, docx_bytes("x {{ agreement.title }}"), kind="canvas"
    )
    assert other_kind.status_code == 422 and "is a dsa template" in other_kind.json["detail"]
    bad_name = upload(world.api, world.admin, data, name="../etc/passwd")
    assert bad_name.status_code == 422 and bad_name.json["errors"][0]["field"] == "name"
    no_file = world.api.as_(world.admin).post(
        "/api/v1/templates", data={"name": "x", "kind": "dsa", "language": "en"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert no_file.status_code == 422
    assert any(error["field"] == "file" for error in no_file.json["errors"])


def test_the_built_in_package_in_three_languages(
    world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real templates: generate, download and verify the whole package."""
    use_builtins(app, BUILTIN_TEMPLATES, monkeypatch)
    agreement = world.create_agreement()
    for language in ("en", "es", "pt"):
        items = _generate(world, agreement["id"], "package", language=language).json["items"]
        assert [item["kind"] for item in items] == ["dsa", "annex_art28", "canvas"]
        for item in items:
            assert item["template_name"] == f"{item['kind']}_{language}"
            download = world.api.as_(world.legal).get(item["links"]["docx"])
            text = docx_text(download.data)
            assert "{{" not in text and "{%" not in text and "Partner Co" in text
            verify = world.api.as_(world.legal).get(item["links"]["verify"]).json
            assert verify["matches"] is True
        dsa_text = docx_text(world.api.as_(world.legal).get(items[0]["links"]["docx"]).data)
        assert 'Energy data & <sharing> "pilot"' in dsa_text and agreement["reference"] in dsa_text
