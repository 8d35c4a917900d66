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


def office_key(config: Mapping[str, Any]) -> OfficeKey:
    path = Path(config["OMD_AUDIT_SIGNING_KEY"])
    if not path.is_file():
        raise NoSigningKey(
            "no audit signing key: set OMD_AUDIT_SIGNING_KEY to a PEM Ed25519 key "
            "(omd-gov audit keygen makes one)"
        )
    return OfficeKey(origin(config), load_private_key(path))
