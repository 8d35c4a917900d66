"""The office's side of checkpoints: its Ed25519 key and the notes it signs.

Verification is in ``verifier.py``, which outsiders copy; this module writes
exactly what that one reads (C2SP signed-note and tlog-checkpoint).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from omd_gov.audit.verifier import ALG_ED25519, SIGNATURE_PREFIX, key_id


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key from an unencrypted PKCS8 PEM file."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def generate_private_key(path: Path) -> Ed25519PrivateKey:
    """A new signing key written to ``path`` (mode 0600); never overwrites a key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # FileExistsError if there
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise ValueError(f"invalid key name {name!r}: no spaces or '+' allowed")


def vkey(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key ``name+<key id hex>+<base64(0x01||key)>`` to publish."""
    _check_name(name)
    raw = _raw(public_key)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode()
    return f"{name}+{key_id(name, raw).hex()}+{encoded}"


def _check_line(line: str, what: str) -> None:
    if not line or any(ord(c) < 0x20 for c in line):
        raise ValueError(f"invalid checkpoint {what} {line!r}")


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    key: Ed25519PrivateKey,
    key_name: str,
    extensions: Sequence[str] = (),
) -> str:
    """The signed note text of the checkpoint (origin, size, root, extensions)."""
    _check_name(key_name)
    _check_line(origin, "origin")
    for line in extensions:
        _check_line(line, "extension")
    if size < 0 or len(root) != 32:
        raise ValueError("a checkpoint needs a size >= 0 and a 32-byte root")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    body = "".join(line + "\n" for line in lines)
    kid = key_id(key_name, _raw(key.public_key()))
    signature = base64.b64encode(kid + key.sign(body.encode())).decode()
    return f"{body}\n{SIGNATURE_PREFIX}{key_name} {signature}\n"
