"""The ``omd-gov`` command line: init, users, demo, serve, backup, restore; the
``audit`` and ``signatures`` groups live beside their features."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask

from omd_gov import create_app
from omd_gov.audit.commands import audit_commands, ensure_signing_key
from omd_gov.auth.actors import Actor
from omd_gov.db import db
from omd_gov.errors import ServiceError
from omd_gov.signatures.commands import signature_commands
from omd_gov.users import services as user_services

T = TypeVar("T")


def _app() -> Flask:
    return create_app()


@click.group()
def main() -> None:
    """omd-gov: data-sharing agreement workflow for a Municipal Data Office."""


@main.command()
def init() -> None:
    """Create or migrate the database to the latest schema."""
    from omd_gov.agreements.stays.services import catch_up_stays
    from omd_gov.audit.services import catch_up_tree
    from omd_gov.documents.services import install_builtins
    from omd_gov.migrate import upgrade

    app = _app()
    upgrade(app)
    install_builtins(app)
    with app.app_context():
        catch_up_tree(db.session)  # events written before the audit tree existed
        catch_up_stays(db.session)  # agreements whose history predates agreement_stays
    click.echo(f"database ready: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--organization", "organization_id", type=int, default=None)
@click.option("--language", default="en", type=click.Choice(["en", "es", "pt"]))
@click.option("--signing-identity", default=None, help="a signatory's certificate identity")
@click.option("--password", is_flag=False, flag_value="", default=None,
              help="a web password; given without a value, it is asked for")  # fmt: skip
def create_user(
    email: str,
    name: str,
    role: str,
    organization_id: int | None,
    language: str,
    signing_identity: str | None,
    password: str | None,
) -> None:
    """Create a user; prints its API token once, alone on the last line."""
    user, token = _user_command(
        user_services.create_user,
        email=email,
        name=name,
        role=role,
        organization_id=organization_id,
        language=language,
        signing_identity=signing_identity,
        password=_ask_password() if password == "" else password,
    )
    click.echo(f"created user {user.id} {user.email} ({user.role}); its API token (shown once):")
    click.echo(token)


@users.command("rotate-token")
@click.option("--email", required=True)
def rotate_token(email: str) -> None:
    """Replace a user's API token; prints the new one alone on the last line."""
    user, token = _user_command(user_services.rotate_token, email=email)
    click.echo(f"new API token for {user.email} (shown once; the old one no longer works):")
    click.echo(token)


@users.command("deactivate")
@click.option("--email", required=True)
def deactivate(email: str) -> None:
    """Refuse the user's token from now on (the account and its history stay)."""
    user = _user_command(user_services.set_active, email=email, active=False)
    click.echo(f"deactivated {user.email}")


@users.command("set-password")
@click.option("--email", required=True)
def set_password(email: str) -> None:
    """Ask for a new web password (ends the user's other web sessions)."""
    user = _user_command(user_services.set_password, email=email, password=_ask_password())
    click.echo(f"new web password set for {user.email}")


def _ask_password() -> str:
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users.command("set-signing-identity")
@click.option("--email", required=True)
@click.option("--identity", required=True, help="e.g. IDCPT-12345678, or '' to clear")
def set_signing_identity(email: str, identity: str) -> None:
    """The identity a signatory's signing certificate must carry."""
    user = _user_command(user_services.set_signing_identity, email=email, identity=identity)
    click.echo(f"{user.email} signs as {user.signing_identity or '(nobody: legal must accept)'}")


@users.command("set-supervisor")
@click.option("--email", required=True)
@click.option("--supervisor", "supervisor_email", required=True)
def set_supervisor(email: str, supervisor_email: str) -> None:
    """Send escalations of this user's overdue deadlines to the supervisor."""
    user = _user_command(
        user_services.set_supervisor, email=email, supervisor_email=supervisor_email
    )
    click.echo(f"{user.email} now escalates to {supervisor_email}")


def _user_command(command: Callable[..., T], **kwargs: Any) -> T:
    """Run one user-administration service (it owns its unit of work)."""
    with _app().app_context():
        try:
            return command(db.session, Actor.system("cli"), **kwargs)
        except ServiceError as error:
            raise click.ClickException(error.detail) from error


@main.command()
def demo() -> None:
    """Load the demo data (idempotent). Needs OMD_DEMO=1: demo tokens are public."""
    from omd_gov.audit.checkpoints import signer_note_path
    from omd_gov.audit.services import publish_checkpoint
    from omd_gov.demo.data import DEMO_PASSWORD, DEMO_USERS
    from omd_gov.demo.services import load_demo
    from omd_gov.demo.signing import demo_signing_summary
    from omd_gov.documents.services import install_builtins

    app = _app()
    if not app.config["OMD_DEMO"]:
        raise click.ClickException("refusing to load demo data unless OMD_DEMO=1")
    install_builtins(app)  # the demo generates documents, even if `init` never ran
    ensure_signing_key(app)
    with app.app_context():
        try:
            created = load_demo(db.session)
            if created:  # a new demo database is a new log: forget an old one's note
                signer_note_path(app.config).unlink(missing_ok=True)
            checkpoint = publish_checkpoint(db.session, app.config)
        except ServiceError as error:
            raise click.ClickException(f"demo data could not be loaded: {error.detail}") from error
    click.echo("demo data loaded" if created else "demo data already present")
    click.echo(f"audit checkpoint published: {checkpoint.size} events (GET /audit/checkpoint)")
    click.echo("DEMO CREDENTIALS (public, for demo mode only; disabled when OMD_DEMO is not 1):")
    click.echo(f"  web sign-in: any e-mail below with the password {DEMO_PASSWORD}")
    for email, _name, role, _org, token in DEMO_USERS:
        click.echo(f"  {role:<22} {email:<32} Bearer {token}")
    signing = Path(app.instance_path) / "signing"
    click.echo(demo_signing_summary(signing, Path(app.config["OMD_TRUST_DIR"])))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=1, show_default=True, type=int, help="threads per worker")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app with gunicorn (not the Flask development server)."""
    from omd_gov.wsgi_server import run

    run(_app(), host, port, workers, threads)


@main.command()
@click.option("--to", "to_dir", required=True, type=click.Path(path_type=Path))
def backup(to_dir: Path) -> None:
    """Copy the database, the stored documents and the audit signer's note into
    a new or empty DIR, while the service runs, with a manifest of sha256 sums."""
    from omd_gov.backup import services as backup_services

    try:
        summary = backup_services.backup(_app(), to_dir)
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    for line in summary.lines():
        click.echo(line)


@main.command()
@click.option("--from", "from_dir", required=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
def restore(from_dir: Path, force: bool) -> None:
    """Check every sum of a backup, restore it into this (empty) instance, then
    verify the whole audit log; exit 1 if anything is refused or does not verify."""
    from omd_gov.backup import services as backup_services

    try:
        summary = backup_services.restore(_app(), from_dir, force=force)
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    for line in summary.lines():
        click.echo(line)
    click.echo(json.dumps(summary.verification, indent=2))
    sys.exit(0 if summary.ok else 1)


main.add_command(audit_commands(_app))
main.add_command(signature_commands(_app))
