"""Web passwords: argon2id, a minimum length, and sessions tied to the hash."""

from __future__ import annotations

import pytest

from omd_gov.auth.passwords import (
    MIN_LENGTH,
    check_password,
    hash_password,
    session_fingerprint,
)
from omd_gov.errors import Unprocessable


def test_a_password_is_stored_as_argon2id_and_checks_only_itself() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert check_password(stored, "correct horse battery")
    assert not check_password(stored, "correct horse battery ")
    assert not check_password(stored, "")


def test_no_password_or_a_broken_hash_never_signs_in() -> None:
    assert not check_password(None, "anything at all here")
    assert not check_password("not-an-argon2-hash", "anything at all here")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(Unprocessable, match=str(MIN_LENGTH)):
        hash_password("x" * (MIN_LENGTH - 1))


def test_a_new_password_changes_the_session_fingerprint() -> None:
    first, second = hash_password("first password!"), hash_password("first password!")
    assert session_fingerprint(first) != session_fingerprint(second)  # salted
    assert session_fingerprint(first) == session_fingerprint(first)
