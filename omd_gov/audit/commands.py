"""``omd-gov audit``: verify the log, publish a checkpoint, create the signing
key, check a proof offline. Built with the app factory it is given, because
the feature packages do not import the top-level ``omd_gov`` package."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask

from omd_gov.db import db
from omd_gov.errors import ServiceError


def ensure_signing_key(app: Flask) -> None:
    """Create the checkpoint key at OMD_AUDIT_SIGNING_KEY unless it exists
    (the demo's lives under instance/)."""
    from omd_gov.audit.signing import generate_private_key

    path = Path(app.config["OMD_AUDIT_SIGNING_KEY"])
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_private_key(path)


def audit_commands(make_app: Callable[[], Flask]) -> click.Group:
    @click.group("audit")
    def audit() -> None:
        """Audit trail tools."""

    @audit.command("verify")
    @click.option(
        "--full", is_flag=True, help="walk every event, not only those since the last check"
    )
    def audit_verify(full: bool) -> None:
        """Verify the log against its signed checkpoints; exit 1 at the first break.

        By default from the last checkpoint a successful run verified to the head
        (O(new events + log n)); --full walks everything."""
        from omd_gov.audit import services as audit_services

        app = make_app()
        with app.app_context():
            audit_services.catch_up_tree(db.session)
            verify = audit_services.verify_fully if full else audit_services.verify_incrementally
            try:
                report: dict[str, Any] = dict(verify(db.session, app.config).report)
            except ServiceError as error:
                raise click.ClickException(error.detail) from error
        click.echo(json.dumps(report, indent=2))
        sys.exit(0 if report["ok"] else 1)

    @audit.command("checkpoint")
    def audit_checkpoint() -> None:
        """Sign and publish a checkpoint of the log now; print its note."""
        from omd_gov.audit import services as audit_services

        app = make_app()
        with app.app_context():
            try:
                checkpoint = audit_services.publish_checkpoint(db.session, app.config)
            except ServiceError as error:
                raise click.ClickException(error.detail) from error
            click.echo(checkpoint.note, nl=False)

    @audit.command("keygen")
    @click.option("--if-missing", is_flag=True, help="do nothing when the key file exists")
    def audit_keygen(if_missing: bool) -> None:
        """Create the checkpoint signing key at OMD_AUDIT_SIGNING_KEY; print its verifier key."""
        from omd_gov.audit.checkpoints import office_key

        app = make_app()
        path = Path(app.config["OMD_AUDIT_SIGNING_KEY"])
        if path.exists() and not if_missing:
            raise click.ClickException(f"{path} exists; refusing to replace a signing key")
        ensure_signing_key(app)
        click.echo(office_key(app.config).vkey)

    @audit.command("check-proof")
    @click.option("--checkpoint", "note_file", type=click.File(encoding="utf-8"), required=True)
    @click.option("--vkey", required=True, help="the office's verifier key (GET /audit/key)")
    @click.option(
        "--proof",
        "proof_file",
        type=click.File(encoding="utf-8"),
        required=True,
        help="an event's inclusion proof, as GET /api/v1/audit/events/{seq}/proof answers",
    )
    def audit_check_proof(note_file: Any, vkey: str, proof_file: Any) -> None:
        """Check that an event is in a signed checkpoint, without any database."""
        from omd_gov.audit.verifier import check_event_proof

        proof = json.load(proof_file)
        ok, reason = check_event_proof(
            note_file.read(),
            vkey.strip(),
            proof["leaf"].encode(),
            int(proof["index"]),
            [bytes.fromhex(h) for h in proof["proof"]],
        )
        click.echo(("valid: " if ok else "INVALID: ") + reason)
        sys.exit(0 if ok else 1)

    return audit
