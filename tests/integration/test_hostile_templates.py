"""Hostile templates through the real upload API and the real generation path.

Each is refused at upload with a 422 problem that says what is wrong, or (for
templates that only misbehave on real data) contained at generation: a 422
problem, no stack trace, no data from the server, and the service still
answers afterwards."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.documents_support import (  # noqa: F401
    docx_bytes,
    generate_in_worker,
    generation_worker,
    rewrite_part,
    small_templates,
    upload,
)
from tests.integration.conftest import World

pytestmark = pytest.mark.usefixtures("small_templates")
PROBLEM = "application/problem+json"
LOOP = (
    "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{{ agreement.reference }}{% endfor %}{% endfor %}"
)


def _refused(response: Any, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.json
    assert response.mimetype == PROBLEM
    body = dict(response.json)
    assert code in [error.get("code") for error in body["errors"]], body
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def _no_upload_registered(world: World) -> None:
    listed = world.api.as_(world.admin).get("/api/v1/templates/custom_dsa_en/versions")
    assert listed.status_code == 404


def test_server_side_template_injection_is_refused(world: World) -> None:
    for payload in (
        "{{ ''.__class__.__mro__ }}",
        "{{ agreement.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    ):
        body = _refused(upload(world.api, world.admin, docx_bytes(payload)), "render_security")
        assert "sandbox forbids" in body["detail"]
        assert "<class" not in str(body) and "os" not in body["detail"].split()
    _no_upload_registered(world)


def test_misbehaviour_on_real_data_is_contained_in_the_worker(
    world: World, app: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    """Templates that pass the sample render but misbehave on real data: the
    worker's job ends as a clear failure (a problem when polled), nothing is
    stored, and the worker goes on with the next job."""
    monkeypatch.setitem(app.config, "OMD_RENDER_TIMEOUT", 1.5)
    sneaky = "{% if agreement.title == 'trigger' %}{{ ''.__class__.__mro__ }}{% endif %}ok"
    assert upload(world.api, world.admin, docx_bytes(sneaky)).status_code == 201
    spinning = "{% if agreement.title == 'spin' %}" + LOOP + "{% endif %}ok"
    spin = upload(world.api, world.admin, docx_bytes(spinning), name="spin_canvas", kind="canvas")
    assert spin.status_code == 201, spin.json
    injected = world.create_agreement(title="trigger")
    looping = world.create_agreement(title="spin")
    with generation_worker(app, tmp_path):
        security = generate_in_worker(world, injected["id"], "dsa")
        started = time.monotonic()
        timeout = generate_in_worker(world, looping["id"], "canvas")
        assert time.monotonic() - started < 8
        fine = generate_in_worker(world, looping["id"], "dsa")  # the worker is still there

    assert security.status_code == 422 and security.mimetype == PROBLEM
    assert "custom_dsa_en v1 failed" in security.json["detail"]
    assert security.json["errors"][0]["code"] == "render_security"
    assert security.json["job_status"] == "failed"
    assert "<class" not in security.get_data(as_text=True)
    assert timeout.status_code == 422 and timeout.mimetype == PROBLEM
    assert timeout.json["errors"][0]["code"] == "render_timeout"
    assert "spin_canvas v1 failed" in timeout.json["detail"] and "1.5 s" in timeout.json["detail"]
    assert fine.status_code == 200 and fine.json["status"] == "done"
    for agreement, stored in ((injected, 0), (looping, 1)):
        listed = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}/documents")
        assert len(listed.json["items"]) == stored


def test_xxe_is_refused_and_nothing_is_resolved(world: World) -> None:
    def inject(xml: bytes) -> bytes:
        doctype = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        return xml.decode().replace("?>", "?>" + doctype, 1).replace("Hello", "&xxe;").encode()

    data = rewrite_part(docx_bytes("Hello"), "word/document.xml", inject)
    body = _refused(upload(world.api, world.admin, data), "xxe")
    assert "word/document.xml" in body["detail"] and "root:" not in str(body)
    _no_upload_registered(world)


def test_zip_bombs_are_refused_before_extraction(world: World, app: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "OMD_TEMPLATE_MAX_UNZIPPED_BYTES", 10_000_000)
    monkeypatch.setitem(app.config, "OMD_TEMPLATE_MAX_ENTRIES", 200)
    deep = io.BytesIO(docx_bytes("Hello"))
    with zipfile.ZipFile(deep, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/zeros.bin", b"\0" * 30_000_000)
    started = time.monotonic()
    body = _refused(upload(world.api, world.admin, deep.getvalue()), "zip_bomb")
    assert "would unpack to 30" in body["detail"] and time.monotonic() - started < 2
    wide = io.BytesIO(docx_bytes("Hello"))
    with zipfile.ZipFile(wide, "a") as archive:
        for number in range(300):
            archive.writestr(f"customXml/item{number}.bin", b"")
    body = _refused(upload(world.api, world.admin, wide.getvalue()), "zip_bomb")
    assert "at most 200 are allowed" in body["detail"]


def test_unknown_variables_are_listed_one_by_one(world: World) -> None:
    data = docx_bytes("{{ agreement.title }} {{ config }}", "{{ request.environ }} {{ secrets }}")
    body = _refused(upload(world.api, world.admin, data), "unknown_variable")
    assert sorted(e["variable"] for e in body["errors"]) == ["config", "request", "secrets"]
    assert "config, request, secrets" in body["detail"]


def test_a_syntax_error_reports_its_location(world: World) -> None:
    data = docx_bytes("Title", "Between {{ agreement.title }} and {% if x %}", "end")
    body = _refused(upload(world.api, world.admin, data), "syntax_error")
    assert "paragraph" in body["detail"] and body["errors"][0]["paragraph"] >= 2
    assert "endif" in body["detail"]


def test_an_endless_loop_is_stopped_at_upload(world: World, app: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "OMD_RENDER_TIMEOUT", 1.5)
    started = time.monotonic()
    body = _refused(upload(world.api, world.admin, docx_bytes(LOOP)), "render_timeout")
    assert "1.5 s limit" in body["detail"] and time.monotonic() - started < 6
    # The service is still there.
    assert world.api.as_(world.legal).get("/api/v1/templates").status_code == 200


def test_not_a_docx_and_oversized_files(world: World, app: Any, monkeypatch: Any) -> None:
    _refused(upload(world.api, world.admin, b"%PDF-1.7 not a docx"), "not_docx")
    workbook = rewrite_part(
        docx_bytes("x"),
        "[Content_Types].xml",
        lambda xml: xml.replace(b"wordprocessingml.document.main", b"spreadsheetml.sheet.main"),
    )
    body = _refused(upload(world.api, world.admin, workbook), "not_docx")
    assert "not a Word file" in body["detail"] and "0x" not in body["detail"]

    monkeypatch.setitem(app.config, "OMD_TEMPLATE_MAX_BYTES", 20_000)
    body = _refused(upload(world.api, world.admin, docx_bytes("x" * 50_000)), "too_large")
    assert "at most 20000 bytes" in body["detail"]
    # Beyond the whole request limit the HTTP layer answers 413 (a problem too).
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    huge = upload(world.api, world.admin, b"PK" + b"\0" * 200_000)
    assert huge.status_code == 413 and huge.mimetype == PROBLEM
