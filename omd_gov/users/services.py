"""User administration use cases. Each is one audited unit of work; the CLI
(and any admin page) calls them, never opening a transaction itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role, User
from omd_gov.auth.passwords import hash_password
from omd_gov.auth.tokens import hash_token, new_token
from omd_gov.db import transaction
from omd_gov.errors import Conflict, Forbidden, Unprocessable
from omd_gov.organizations.models import Organization


def create_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    organization_id: int | None = None,
    language: str = "en",
    token: str | None = None,
    signing_identity: str | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its API token (shown once, stored hashed)."""
    if role not in {r.value for r in Role}:
        raise Unprocessable(
            f"unknown role {role!r}; expected one of {', '.join(r.value for r in Role)}"
        )
    if role == Role.SIGNATORY and organization_id is None:
        raise Unprocessable("a signatory must belong to an organisation")
    with transaction(session):
        if organization_id is not None and session.get(Organization, organization_id) is None:
            raise Unprocessable(f"organisation {organization_id} does not exist")
        if session.execute(select(User.id).where(User.email == email)).first():
            raise Conflict(f"a user with e-mail {email} already exists")
        token = token or new_token()
        user = User(
            email=email,
            name=name,
            role=role,
            organization_id=organization_id,
            language=language,
            token_hash=hash_token(token),
            signing_identity=signing_identity or None,
            password_hash=hash_password(password) if password else None,
        )
        session.add(user)
        session.flush()
        _audit(session, actor, user, "create", email=(None, email), role=(None, role))
    return user, token


def rotate_token(session: Session, actor: Actor, email: str) -> tuple[User, str]:
    """Replace a user's token (the old one stops working at once)."""
    with transaction(session):
        user = _by_email(session, email)
        token = new_token()
        user.token_hash = hash_token(token)
        _audit(session, actor, user, "rotate_token")
    return user, token


def set_active(session: Session, actor: Actor, email: str, active: bool) -> User:
    with transaction(session):
        user = _by_email(session, email)
        action = "activate" if active else "deactivate"
        _audit(session, actor, user, action, active=(user.active, active))
        user.active = active
    return user


def set_supervisor(session: Session, actor: Actor, email: str, supervisor_email: str) -> User:
    """Escalations for this user's overdue deadlines go to the supervisor."""
    with transaction(session):
        user, supervisor = _by_email(session, email), _by_email(session, supervisor_email)
        if supervisor.id == user.id:
            raise Unprocessable("a user cannot supervise themselves")
        changes = {"supervisor_id": (user.supervisor_id, supervisor.id)}
        _audit(session, actor, user, "set_supervisor", **changes)
        user.supervisor_id = supervisor.id
    return user


def set_password(session: Session, actor: Actor, email: str, password: str) -> User:
    """A new web password; every earlier web session of the user ends."""
    hashed = hash_password(password)
    with transaction(session):
        user = _by_email(session, email)
        _audit(session, actor, user, "set_password", password=("(set)", "(changed)"))
        user.password_hash = hashed
    return user


def set_signing_identity(session: Session, actor: Actor, email: str, identity: str) -> User:
    """The identity a signatory's certificate must carry (docs/SIGNATURES.md);
    empty clears it, so every signed upload then needs a legal officer's acceptance."""
    with transaction(session):
        user = _by_email(session, email)
        wanted = identity.strip() or None
        _audit(session, actor, user, "set_signing_identity",
               signing_identity=(user.signing_identity, wanted))  # fmt: skip
        user.signing_identity = wanted
    return user


def _by_email(session: Session, email: str) -> User:
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        raise Unprocessable(f"no user with e-mail {email}")
    return user


def _audit(session: Session, actor: Actor, subject: User, action: str, **changes: Any) -> None:
    diff = {key: {"from": old, "to": new} for key, (old, new) in changes.items()}
    record(session, actor, subject, action, changes=diff)


# The languages of the pages, the notifications and the documents.
LANGUAGES = ("en", "es", "pt")


def set_language(session: Session, actor: Actor, email_or_user: str | User, language: str) -> User:
    """The language a user reads the pages and notifications in. A user sets
    their own; an admin (or the CLI's system actor) anyone's."""
    if language not in LANGUAGES:
        raise Unprocessable(
            f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}",
            [{"field": "language", "message": f"expected one of {', '.join(LANGUAGES)}"}],
        )
    with transaction(session):
        user = email_or_user
        if not isinstance(user, User):
            user = _by_email(session, user)
        if actor.user is not None and actor.user_id != user.id and actor.role != Role.ADMIN:
            raise Forbidden("only an admin may change another user's language")
        if user.language != language:
            _audit(session, actor, user, "set_language", language=(user.language, language))
            user.language = language
    return user
