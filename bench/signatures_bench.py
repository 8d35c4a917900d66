"""Signature validation benchmark (issue 11; figures in docs/PERFORMANCE.md,
"Signature validation"): validating an uploaded 10-page PDF that carries 3
signatures, through the API, costs at most 1.3x pyHanko's own validation of
the same file in the same run; memory stays flat over 200 uploads.

Set-up, once, on SQLite in a temp dir: a test PKI (``omd_gov.demo.pki``) whose
root is the app's ``OMD_TRUST_DIR``; the documents bench's seed (three of its
four organisations sign) with ``OMD_SIGNATURE_LEVEL=advanced``, the purpose and
security measures padded (``--padding``) so that LibreOffice's PDF of the DSA
has 10 pages; submit, approve, DSA, ``send_for_signature`` (the frozen PDF/A);
three signatories whose signing identity is their certificate's national id.
Two sign their download with pyHanko (``seal_pdf`` with their PKCS#12) and
upload it; the third signs too, and that file, with 3 signatures, is measured.
The database is copied (SQLite backup API) just before its upload.

After ``--warmup`` rounds, ``--rounds`` interleaved timed rounds of:

(a) **API**: ``POST /api/v1/agreements/{id}/signed-pdf`` through the Flask test
    client (routing, auth, multipart, the service: turn checks, reading the
    round's PDF, ``validate_upload``, storing the file, the ``sign`` transition
    and its audit event, commit; the response), which must end the round
    ``active``. Untimed before each, the database is restored from the copy
    and the stored upload deleted: every request does the full work, fsyncs
    included. The multipart body is built once.
(b) **pyHanko**: what ``pyhanko sign validate`` does: read the file and
    ``validate_pdf_signature`` each of its 3 signatures with a fresh
    ``ValidationContext`` (the same root, ``allow_fetching=False``, soft-fail
    as the app's default) and pyHanko's diff analysis; all must be intact,
    valid and trusted.
(c) ``validate_upload(previous, upload, trust)`` alone: where the time goes.

Medians; the ratio (a)/(b) must be <= 1.3 (else exit 1). Then ``--uploads``
uploads (a) alone: ``VmRSS`` before the bench's first upload, at the start of
this run, every 50 uploads and at the end. Flat: under 10 MiB of growth from
the 50th upload to the end.

    .venv/bin/python -m bench.signatures_bench [--rounds 30] [--uploads 200]
    .venv/bin/python -m bench.signatures_bench --smoke     # a few seconds: does it still run?
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from bench import common
from bench.documents_bench import rss_kib, seed, timed
from omd_gov import create_app
from omd_gov.agreements import services as agreements
from omd_gov.agreements.models import Agreement
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import User
from omd_gov.db import db, transaction
from omd_gov.demo import pki
from omd_gov.documents import services as documents
from omd_gov.documents.storage import sha256_hex
from omd_gov.migrate import upgrade
from omd_gov.organizations.models import Organization
from omd_gov.signatures.seal import seal_pdf
from omd_gov.signatures.trust import TrustSettings, trust_settings
from omd_gov.signatures.validation import validate_upload
from omd_gov.users.services import create_user

TARGET_RATIO = 1.3
FLAT_MIB = 10.0
PASSWORD = "bench"
# The seed's three signing parties, in signing order: (organisation, field, CN, national id).
SIGNERS = [
    ("City of Porto", "City", "Alice Almeida", "IDCPT-12345678"),
    ("EFACEC", "Efacec", "Bruno Bermudez", "IDCES-87654321Z"),
    ("Porto Digital", "PortoDigital", "Carla Costa", "IDCPT-23456789"),
]
CLAUSE = (
    "The parties share the data described in this agreement only for the purpose stated, "
    "keep it confidential, protect it with the measures agreed, and delete it when the "
    "agreement ends, unless the law requires them to keep it longer. "
)
SMOKE = {"assets": 3, "padding": 0, "rounds": 2, "uploads": 3, "warmup": 1}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=3, help="data assets of the agreement")
    parser.add_argument(
        "--padding", type=int, default=7500, help="characters of purpose and of security measures"
    )
    parser.add_argument("--rounds", type=int, default=30, help="interleaved timed rounds")
    parser.add_argument("--uploads", type=int, default=200, help="uploads in the RSS run")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first")
    return common.parse_args(parser, argv, SMOKE)


def multipart(pdf: bytes) -> tuple[str, bytes]:
    """(content type, body) of the upload form, built once per file."""
    stream = FileStorage(io.BytesIO(pdf), "signed.pdf", content_type="application/pdf")
    boundary, body = encode_multipart({"file": stream})
    return f"multipart/form-data; boundary={boundary}", body


@dataclass
class Upload:
    """The third party's upload, and what restores the state before it."""

    client: FlaskClient
    url: str
    headers: dict[str, str]
    previous: bytes  # the round's PDF with 2 signatures
    upload: bytes  # plus the third
    pages: int
    database: Path
    snapshot: Path

    def __post_init__(self) -> None:
        self.content_type, self.body = multipart(self.upload)
        digest = sha256_hex(self.upload)  # where the store puts the accepted file
        self.stored = self.database.parent / "storage" / digest[:2] / f"{digest}.pdf"

    def restore(self) -> None:
        """The state before the upload: database and store."""
        db.session.close()
        copy_database(self.snapshot, self.database)
        self.stored.unlink(missing_ok=True)

    def post(self) -> Any:
        return self.client.post(
            self.url, data=self.body, content_type=self.content_type, headers=self.headers
        )


def accepted(response: Any) -> None:
    """The upload was accepted and it ended the round: the agreement is active."""
    state = (response.json or {}).get("state")
    assert response.status_code == 200 and state == "active", response.json


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: safe with the app's pooled connections open."""
    reader, writer = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        reader.close()
        writer.close()


def make_app(workdir: Path) -> Flask:
    root = pki.root_ca("omd-gov Bench Root CA")
    (workdir / "trust").mkdir()
    (workdir / "trust" / "root.pem").write_bytes(root.pem)
    issuing = pki.issue(root, "omd-gov Bench Issuing CA", ca=True)
    (workdir / "p12").mkdir()
    for _org, field, name, national_id in SIGNERS:
        signer = pki.issue(issuing, name, national_id=national_id, org=_org)
        pki.write_pkcs12(signer, workdir / "p12" / f"{field}.p12", PASSWORD.encode())
    app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
                      "OMD_STORAGE_DIR": str(workdir / "storage"),
                      "OMD_BROKER_URL": f"filesystem://{workdir / 'broker'}",
                      "OMD_SIGNATURE_LEVEL": "advanced", "OMD_REVOCATION_MODE": "soft-fail",
                      "OMD_TRUST_DIR": str(workdir / "trust")})  # fmt: skip
    upgrade(app)
    return app


def to_signing(assets: int, padding: int) -> tuple[int, list[str]]:
    """The seeded agreement, its purpose and security measures ``padding``
    characters long each, sent for signature; the signatories' tokens."""
    legal, agreement_id = seed(assets)
    session = db.session
    documents.register_builtins(session)  # as `omd-gov init` does
    officer = session.execute(select(User).where(User.role == "data_officer")).scalar_one()
    if padding:
        text = (CLAUSE * (padding // len(CLAUSE) + 1))[:padding].strip()
        draft = session.get(Agreement, agreement_id)
        assert draft is not None
        changes = {"purpose": text, "security_measures": text}
        agreements.edit_draft(
            session, Actor.of(officer, "cli"), agreement_id, changes, draft.version
        )
    tokens = []
    for org_name, field, name, national_id in SIGNERS:
        org = session.execute(select(Organization).where(Organization.name == org_name))
        with transaction(session):
            _user, token = create_user(session, Actor.system("cli"), role="signatory",
                                       email=f"{field.lower()}@bench.example", name=name,
                                       organization_id=org.scalar_one().id,
                                       signing_identity=national_id)  # fmt: skip
        tokens.append(token)
    fire = agreements.fire_trigger
    fire(session, Actor.of(officer, "cli"), agreement_id, "submit", "")
    fire(session, Actor.of(legal, "cli"), agreement_id, "approve", "")
    documents.generate(session, Actor.of(legal, "cli"), agreement_id, "dsa", "en")
    fire(session, Actor.of(legal, "cli"), agreement_id, "send_for_signature", "")  # LibreOffice
    return agreement_id, tokens


def signing_round(app: Flask, workdir: Path, args: argparse.Namespace) -> Upload:
    """Two parties sign and upload; the third's signed file is returned, unsent."""
    agreement_id, tokens = to_signing(args.assets, args.padding)
    client, url = app.test_client(), f"/api/v1/agreements/{agreement_id}"
    for token, (_org, field, _name, _id) in zip(tokens, SIGNERS, strict=True):
        headers = {"Authorization": f"Bearer {token}"}
        previous = client.get(f"{url}/signing-pdf", headers=headers).data
        p12 = str(workdir / "p12" / f"{field}.p12")
        signed = seal_pdf(previous, p12_path=p12, password=PASSWORD, field_name=field)
        if field == SIGNERS[-1][1]:
            break
        content_type, body = multipart(signed)
        response = client.post(
            f"{url}/signed-pdf", data=body, content_type=content_type, headers=headers
        )
        assert response.status_code == 200, response.json
    database, snapshot = workdir / "bench.sqlite3", workdir / "snapshot.sqlite3"
    db.session.close()
    copy_database(database, snapshot)
    pages = len(PdfReader(io.BytesIO(previous)).pages)
    return Upload(client, f"{url}/signed-pdf", headers, previous, signed, pages, database, snapshot)


def pyhanko_validation(pdf: bytes, roots: list[Any]) -> list[PdfSignatureStatus]:
    """What ``pyhanko sign validate`` does for every signature of the file."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    statuses = []
    for embedded in reader.embedded_regular_signatures:
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        statuses.append(validate_pdf_signature(embedded, context))
    return statuses


def one_round(upload: Upload, trust: TrustSettings, first: int) -> list[float]:
    """Seconds of (API, pyHanko, validate_upload), each result checked. They
    start in turn from ``first``, each after a full collection: a garbage
    collection pays for all earlier garbage (~200 ms here), so in a fixed order
    it kept landing on the same measurement."""
    upload.restore()
    responses: list[Any] = []
    statuses: list[PdfSignatureStatus] = []
    reports: list[Any] = []
    actions: list[Callable[[], Any]] = [
        lambda: responses.append(upload.post()),
        lambda: statuses.extend(pyhanko_validation(upload.upload, trust.roots)),
        lambda: reports.append(validate_upload(upload.previous, upload.upload, trust)),
    ]
    seconds = [0.0] * len(actions)
    for step in range(len(actions)):
        index = (first + step) % len(actions)
        gc.collect()
        seconds[index] = timed(actions[index], 1)[0]
    accepted(responses[0])
    assert len(statuses) == len(SIGNERS), f"{len(statuses)} signatures"
    assert all(s.intact and s.valid and s.trusted for s in statuses), statuses
    assert reports[0].field_name == SIGNERS[-1][1]
    return seconds


def compare(upload: Upload, trust: TrustSettings, rounds: int) -> dict[str, Any]:
    """(a), (b) and (c) in interleaved rounds, so load from elsewhere hits all alike."""
    samples = [one_round(upload, trust, number) for number in range(rounds)]
    columns = zip(*samples, strict=True)
    api, bare, validation = (statistics.median(column) * 1000 for column in columns)
    return {
        "rounds": rounds,
        "api_ms_median": round(api, 1),
        "pyhanko_ms_median": round(bare, 1),
        "validate_upload_ms_median": round(validation, 1),
        "ratio_api_to_pyhanko": round(api / bare, 3),
        "ratio_validate_upload_to_pyhanko": round(validation / bare, 3),
        "api_ms_p95": round(common.percentile([s[0] for s in samples], 0.95) * 1000, 1),
        "pyhanko_ms_p95": round(common.percentile([s[1] for s in samples], 0.95) * 1000, 1),
        "target_ratio": TARGET_RATIO,
    }


def rss_run(upload: Upload, uploads: int, rss_before: int) -> dict[str, Any]:
    """``uploads`` accepted uploads (each from the restored state); VmRSS every 50."""
    rss = {"before the first upload": rss_before, "at the start of this run": rss_kib()[0]}
    seconds: list[float] = []
    responses: list[Any] = []
    for number in range(1, uploads + 1):
        upload.restore()
        seconds += timed(lambda: responses.append(upload.post()), 1)
        accepted(responses.pop())
        if number % 50 == 0:
            rss[f"after {number} uploads"] = rss_kib()[0]
    rss["at the end"], peak = rss_kib()
    after_warmup = rss.get("after 50 uploads", rss["at the start of this run"])
    return {
        "uploads": uploads,
        "upload_ms_median_in_rss_run": round(statistics.median(seconds) * 1000, 1),
        "rss_mib": {name: round(kib / 1024, 1) for name, kib in rss.items()},
        "rss_peak_mib": round(peak / 1024, 1),
        "rss_growth_after_warmup_mib": round((rss["at the end"] - after_warmup) / 1024, 1),
    }


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    app = make_app(workdir)
    with app.app_context():
        started = time.perf_counter()
        upload = signing_round(app, workdir, args)
        setup = time.perf_counter() - started
        trust = trust_settings(app.config)
        rss_before = rss_kib()[0]
        for number in range(args.warmup):
            one_round(upload, trust, number)
        figures = compare(upload, trust, args.rounds) | rss_run(upload, args.uploads, rss_before)
        db.session.close()
        db.engine.dispose()
    return {
        "commit": common.git_commit(),
        "assets": args.assets,
        "padding_characters": 2 * args.padding,
        "pdf_pages": upload.pages,
        "signatures_in_upload": len(SIGNERS),
        "previous_bytes": len(upload.previous),
        "upload_bytes": len(upload.upload),
        "warmup": args.warmup,
        "setup_seconds": round(setup, 1),
        **figures,
        "database": "sqlite",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="omd-sigbench-") as workdir:
        result = run(args, Path(workdir))
    stamp = "smoke" if args.smoke else time.strftime("%Y%m%d-%H%M%S")  # smoke: one file
    output = common.results_dir(args) / f"signatures-{stamp}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    meets = result["ratio_api_to_pyhanko"] <= TARGET_RATIO
    flat = result["rss_growth_after_warmup_mib"] < FLAT_MIB
    growth = result["rss_growth_after_warmup_mib"]
    print(f"API / pyHanko = {result['ratio_api_to_pyhanko']} "
          f"({'meets' if meets else 'MISSES'} <= {TARGET_RATIO}); RSS growth after warm-up "
          f"{growth} MiB ({'flat' if flat else 'NOT flat'} < {FLAT_MIB})")  # fmt: skip
    if args.smoke:  # a few rounds: the figures are noise, only errors count
        return 0
    return 0 if meets and flat else 1


if __name__ == "__main__":
    sys.exit(main())
