"""The office's checkpoint key and its names. The private key is a PEM file
(``OMD_AUDIT_SIGNING_KEY``); the public half is served as a verifier key,
``<origin>+<key id>+<base64 key>``, so that anyone can check a checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omd_gov.audit.signing import load_private_key, sign_checkpoint, vkey
from omd_gov.errors import ServiceError


class NoSigningKey(ServiceError):
    status, title, slug = 503, "No signing key", "no-signing-key"


@dataclass(frozen=True)
class OfficeKey:
    origin: str  # also the key's name, as in C2SP checkpoints
    private_key: Ed25519PrivateKey

    @property
    def vkey(self) -> str:
        return vkey(self.origin, self.private_key.public_key())

    @property
    def key_id(self) -> str:
        return self.vkey.split("+")[1]

    def sign(self, size: int, root: bytes) -> str:
        return sign_checkpoint(self.origin, size, root, self.private_key, self.origin)


def origin(config: Mapping[str, Any]) -> str:
    """The log's name: ``OMD_AUDIT_ORIGIN``, or the public host and ``/audit``."""
    configured = str(config["OMD_AUDIT_ORIGIN"])
    return configured or f"{urlsplit(config['OMD_PUBLIC_URL']).netloc}/audit"


def verifier_keys(config: Mapping[str, Any]) -> list[str]:
    """The keys checkpoints are checked with: ``OMD_AUDIT_VERIFIER_KEYS``
    (space-separated; keep old keys there after a rotation), else the public
    half of the signing key, else none (verification then fails closed)."""
    pinned = str(config["OMD_AUDIT_VERIFIER_KEYS"]).split()
    if pinned:
        return pinned
    try:
        return [office_key(config).vkey]
    except NoSigningKey:
        return []


def signer_note_path(config: Mapping[str, Any]) -> Path:
    """Where the signer keeps the last note it signed: beside its key, outside
    the database, so that it never signs a history that rewrites that one."""
    return Path(str(config["OMD_AUDIT_SIGNING_KEY"]) + ".last-checkpoint")


def read_signer_note(config: Mapping[str, Any]) -> str | None:
    path = signer_note_path(config)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def write_signer_note(config: Mapping[str, Any], note: str) -> None:
    path = signer_note_path(config)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(note, encoding="utf-8")
    partial.replace(path)  # atomic: a crash leaves the old note whole


def office_key(config: Mapping[str, Any]) -> OfficeKey:
    path = Path(config["OMD_AUDIT_SIGNING_KEY"])
    if not path.is_file():
        raise NoSigningKey(
            "no audit signing key: set OMD_AUDIT_SIGNING_KEY to a PEM Ed25519 key "
            "(omd-gov audit keygen makes one)"
        )
    return OfficeKey(origin(config), load_private_key(path))
