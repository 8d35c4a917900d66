"""Passwords for the web pages, hashed with argon2id (argon2-cffi's defaults,
which follow RFC 9106's recommendation). API clients keep using bearer tokens.

A sign-in with an unknown e-mail still runs one verification against a
fixed hash, so the answer takes as long as for a wrong password and does not
tell which accounts exist.
"""

from __future__ import annotations

import hashlib
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from omd_gov.errors import Unprocessable

MIN_LENGTH = 12


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _unused_hash() -> str:
    return _hasher().hash("no account has this password: it only evens the timing")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise Unprocessable(
            f"a password needs at least {MIN_LENGTH} characters",
            [{"field": "password", "message": f"at least {MIN_LENGTH} characters"}],
        )
    return _hasher().hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        matches = _hasher().verify(stored or _unused_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(matches) and stored is not None


def session_fingerprint(stored: str | None) -> str:
    """Kept in the session cookie: a new password ends every older session."""
    return hashlib.sha256((stored or "").encode()).hexdigest()[:16]
