"""Bearer-token authentication and server-side role checks for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from apiflask import HTTPTokenAuth
from flask import current_app
from sqlalchemy import select

from omd_gov.auth.actors import Actor
from omd_gov.auth.models import Role, User
from omd_gov.auth.tokens import DEMO_TOKEN_PREFIX, hash_token
from omd_gov.db import db
from omd_gov.errors import Forbidden

auth = HTTPTokenAuth(scheme="Bearer", description="An API token from `omd-gov users create`.")

F = TypeVar("F", bound=Callable[..., Any])


@auth.verify_token
def _verify(token: str) -> User | None:
    if not token:
        return None
    if token.startswith(DEMO_TOKEN_PREFIX) and not current_app.config["OMD_DEMO"]:
        return None  # demo tokens are public; they work only in demo mode
    user = db.session.execute(
        select(User).where(User.token_hash == hash_token(token))
    ).scalar_one_or_none()
    return user if user is not None and user.active else None


def current_user() -> User:
    return cast(User, auth.current_user)


def current_actor(source: str = "api") -> Actor:
    return Actor.of(current_user(), source)


def has_role(user: User, *roles: Role) -> bool:
    """Admin always has it: it may act in any office role."""
    return user.role in {str(role) for role in roles} | {Role.ADMIN.value}


def require_role(user: User, *roles: Role) -> None:
    """The one role check, for the API (``roles_required``) and the pages."""
    if not has_role(user, *roles):
        allowed = sorted({str(role) for role in roles} | {Role.ADMIN.value})
        raise Forbidden(
            f"this action needs one of the roles: {', '.join(allowed)}", required_roles=allowed
        )


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow only these roles (and admin) to call the API view."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_role(current_user(), *roles)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
