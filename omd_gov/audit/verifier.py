"""An independent verifier for omd-gov's audit log.

This file imports only the standard library and ``cryptography`` so that
anyone can copy it and check, without the office's database or code, that an
audit event is included in a tree whose size and root the office signed.

- Merkle tree hashing and proof verification: RFC 6962 / RFC 9162 §2.1.
- Checkpoints: the C2SP ``tlog-checkpoint`` text format inside a C2SP
  ``signed-note`` with Ed25519 signatures (as Go's ``golang.org/x/mod/sumdb/note``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EMPTY_ROOT = hashlib.sha256(b"").digest()
ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # EM DASH and a space start every signature line


# --- Merkle tree hashing (RFC 6962 §2.1) -----------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    """A leaf's hash; the 0x00 prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node's hash; the 0x01 prefix keeps it apart from leaves."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical_json(value: Any) -> str:
    """The one canonical serialisation used for hashing audit events."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_leaf(content: dict[str, Any]) -> bytes:
    """The tree leaf of an audit event: the same bytes its chain hash covers."""
    return canonical_json(content).encode()


# --- Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -------------------------


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Whether ``leaf`` (a leaf *hash*) sits at ``index`` in the tree of ``size``
    leaves whose root is ``root``. Never raises on bad input: it answers False."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """Whether the tree of ``new_size`` leaves only appended to the one of
    ``old_size``: the proof rebuilds both roots from the same hashes."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: its root starts the path
        path.insert(0, old_root)
    fr, sr, sn = _rebuild_roots(old_size - 1, new_size - 1, path)
    return sn == 0 and fr == old_root and sr == new_root


def _rebuild_roots(fn: int, sn: int, path: list[bytes]) -> tuple[bytes, bytes, int]:
    """RFC 9162 §2.1.4.2 steps 4-6: both roots from one path, and what is left of sn."""
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return fr, sr, -1
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr, sr, sn


# --- Signed checkpoints (C2SP signed-note, tlog-checkpoint) ----------------------


class InvalidCheckpoint(ValueError):
    """The checkpoint is malformed or not signed by the expected key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    body: str


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte id that ties a signature line to a name and Ed25519 key."""
    material = name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    """Strict standard base64: anything else is an error, not silently skipped."""
    return base64.b64decode(text.encode("ascii"), validate=True)


def parse_vkey(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Split a verifier key ``name+hexid+base64(0x01||key)``; ValueError if malformed."""
    parts = vkey.split("+", 2)  # the base64 key itself may contain '+'
    if len(parts) != 3:
        raise ValueError("verifier key must be <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    if not _valid_key_name(name):
        raise ValueError("verifier key has an invalid name")
    try:
        raw = _b64decode(encoded)
        claimed_id = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"verifier key is not valid base64/hex: {exc}") from None
    if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise ValueError("verifier key is not an Ed25519 key with an 8-digit id")
    if key_id(name, raw[1:]) != claimed_id:
        raise ValueError("verifier key id does not match its name and key")
    return name, claimed_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def _split_note(note: str) -> tuple[str, list[str]]:
    """Body (ending in a newline) and signature lines, as signed-note lays them out."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise InvalidCheckpoint("malformed note: control characters")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise InvalidCheckpoint("malformed note: no blank line before the signatures")
    body, signatures = note[: cut + 1], note[cut + 2 :].splitlines()
    if not signatures or not all(line.startswith(SIGNATURE_PREFIX) for line in signatures):
        raise InvalidCheckpoint("malformed note: bad signature lines")
    return body, signatures


def _signature_by(signatures: list[str], name: str, kid: bytes) -> bytes | None:
    """The signature by this key, if any; other keys' lines are ignored."""
    for line in signatures:
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise InvalidCheckpoint("malformed note: bad signature line")
        try:
            raw = _b64decode(parts[1])
        except (ValueError, binascii.Error):
            raise InvalidCheckpoint("malformed note: signature is not base64") from None
        if len(raw) < 5:
            raise InvalidCheckpoint("malformed note: signature too short")
        if parts[0] == name and raw[:4] == kid:
            return raw[4:]
    return None


def _parse_body(body: str) -> Checkpoint:
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise InvalidCheckpoint("malformed checkpoint: needs origin, size and root lines")
    origin, size_text, root_text, *extensions = lines
    leading_zero = len(size_text) > 1 and size_text[0] == "0"
    if not size_text.isascii() or not size_text.isdigit() or leading_zero:
        raise InvalidCheckpoint(f"malformed checkpoint: bad size {size_text!r}")
    try:
        root = _b64decode(root_text)
    except (ValueError, binascii.Error):
        raise InvalidCheckpoint("malformed checkpoint: root is not base64") from None
    if len(root) != 32:
        raise InvalidCheckpoint("malformed checkpoint: root is not 32 bytes")
    if any(not line for line in extensions):
        raise InvalidCheckpoint("malformed checkpoint: empty extension line")
    return Checkpoint(origin, int(size_text), root, tuple(extensions), body)


def open_checkpoint(note: str, vkey: str) -> Checkpoint:
    """The checkpoint in ``note`` once its signature by ``vkey`` checks out."""
    name, kid, public_key = parse_vkey(vkey)
    body, signatures = _split_note(note)
    signature = _signature_by(signatures, name, kid)
    if signature is None:
        raise InvalidCheckpoint(f"no signature by key {name}+{kid.hex()}")
    try:
        public_key.verify(signature, body.encode())
    except InvalidSignature:
        raise InvalidCheckpoint(f"bad signature by key {name}+{kid.hex()}") from None
    return _parse_body(body)


def check_event_proof(
    note: str, vkey: str, leaf: bytes, index: int, proof: list[bytes]
) -> tuple[bool, str]:
    """Whether ``leaf`` (its bytes) is entry ``index`` of the signed tree, and why not."""
    try:
        checkpoint = open_checkpoint(note, vkey)
    except ValueError as exc:
        return False, str(exc)
    if not 0 <= index < checkpoint.size:
        return False, f"index {index} is outside the checkpoint's {checkpoint.size} entries"
    if not verify_inclusion(leaf_hash(leaf), index, checkpoint.size, proof, checkpoint.root):
        return False, "the proof does not lead from this event to the checkpoint's root"
    return True, f"entry {index} is in the signed tree of {checkpoint.size} entries"
