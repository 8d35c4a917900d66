"""``omd-gov signatures``: the signature report on the command line. The
group is built with the app factory it is given, because the feature
packages do not import the top-level ``omd_gov`` package."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click
from flask import Flask
from sqlalchemy.exc import OperationalError

from omd_gov.db import db
from omd_gov.errors import ServiceError


def signature_commands(make_app: Callable[[], Flask]) -> click.Group:
    @click.group("signatures")
    def signatures() -> None:
        """PAdES signature tools (docs/SIGNATURES.md)."""

    @signatures.command("verify")
    @click.argument("reference")
    def verify(reference: str) -> None:
        """Re-validate every signature of an agreement's document of record
        offline; print the report and exit 1 on any problem."""
        from omd_gov.signatures.reports import report_for_reference

        app = make_app()
        with app.app_context():
            try:
                report = report_for_reference(db.session, reference)
            except ServiceError as error:
                raise click.ClickException(error.detail) from error
            except OperationalError as error:  # e.g. no tables: wrong OMD_DATABASE_URL
                raise click.ClickException(
                    f"cannot read the database ({error.orig}); is OMD_DATABASE_URL right, "
                    "and did `omd-gov init` run?"
                ) from error
        click.echo(json.dumps(report, indent=2, default=str))
        sys.exit(0 if report["ok"] else 1)

    return signatures
