"""API tokens: shown once, stored only as a sha256 hash."""

from __future__ import annotations

import hashlib
import secrets

DEMO_TOKEN_PREFIX = "demo-"


def new_token() -> str:
    return "omd_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
