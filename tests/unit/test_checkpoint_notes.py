"""Signed checkpoints: C2SP signed-note + tlog-checkpoint with Ed25519.

The Go ``golang.org/x/mod/sumdb/note`` documentation's example key and note
(PeterNeumann) anchor the format to an independent implementation: Ed25519 is
deterministic, so our key id, verifier key and signature line must reproduce
it byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from omd_gov.audit.merkle import CompactRange, Node, inclusion_ranges, proof_hashes
from omd_gov.audit.signing import generate_private_key, load_private_key, sign_checkpoint, vkey
from omd_gov.audit.verifier import (
    Checkpoint,
    InvalidCheckpoint,
    canonical_json,
    check_event_proof,
    event_leaf,
    key_id,
    leaf_hash,
    open_checkpoint,
    parse_vkey,
)

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"

ORIGIN = "omd-gov.example.org/audit"
ROOT = hashlib.sha256(b"some root").digest()


def go_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert seed[0] == 1 and len(seed) == 33
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def office_vkey(key: Ed25519PrivateKey) -> str:
    return vkey("office", key.public_key())


# --- format, anchored to Go's note package ---------------------------------------


def test_vkey_and_key_id_reproduce_the_go_example() -> None:
    assert vkey("PeterNeumann", go_key().public_key()) == GO_VKEY
    material = b"PeterNeumann\n\x01" + raw_public(go_key())
    assert key_id("PeterNeumann", raw_public(go_key())) == hashlib.sha256(material).digest()[:4]
    assert key_id("PeterNeumann", raw_public(go_key())).hex() == "c74f20a3"


def test_signature_line_reproduces_the_go_example() -> None:
    kid = key_id("PeterNeumann", raw_public(go_key()))
    assert base64.b64encode(kid + go_key().sign(GO_TEXT.encode())).decode() == GO_SIG


def test_go_note_signature_checks_out_but_it_is_not_a_checkpoint() -> None:
    with pytest.raises(InvalidCheckpoint, match="malformed checkpoint"):
        open_checkpoint(GO_NOTE, GO_VKEY)  # the signature passed; the body is prose
    with pytest.raises(InvalidCheckpoint, match="bad signature"):
        open_checkpoint(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)


def test_parse_vkey(key: Ed25519PrivateKey, office_vkey: str) -> None:
    name, kid, public = parse_vkey(office_vkey)
    assert name == "office" and kid == key_id("office", raw_public(key))
    assert public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == (
        raw_public(key)
    )
    assert office_vkey.split("+")[1] == kid.hex() and len(kid.hex()) == 8


def test_parse_vkey_whose_base64_contains_a_plus() -> None:
    # a verifier key from the tests of transparency-dev/formats (note_cosigv1_test.go)
    name, kid, _ = parse_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert (name, kid.hex()) == ("TEST", "7997405c")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "office",
        "office+c74f20a3",
        GO_VKEY.replace("PeterNeumann", "Peter Neumann"),
        GO_VKEY.replace("PeterNeumann", "PeterNeumanm"),  # id no longer matches the name
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("c74f20a3", "c74f20"),
        GO_VKEY.replace("c74f20a3", "zzzzzzzz"),
        GO_VKEY.replace("+ARpc", "+AhRpc"),  # algorithm byte is not Ed25519
        GO_VKEY[:-4],  # truncated key
        GO_VKEY + "+extra",
        GO_VKEY + "\n",
        " " + GO_VKEY,
        GO_VKEY.replace("ARpc", "AR!c"),  # not base64
    ],
)
def test_malformed_vkeys_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_vkey(bad)


def test_vkey_refuses_bad_names(key: Ed25519PrivateKey) -> None:
    for name in ("", "a b", "a+b", "a\nb"):
        with pytest.raises(ValueError):
            vkey(name, key.public_key())


# --- sign and open ---------------------------------------------------------------


def test_sign_then_open_round_trips(key: Ed25519PrivateKey, office_vkey: str) -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, "office", extensions=["Timestamp: 1"])
    body = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\nTimestamp: 1\n"
    assert note.startswith(body + "\n\u2014 office ")
    assert open_checkpoint(note, office_vkey) == Checkpoint(
        ORIGIN, 42, ROOT, ("Timestamp: 1",), body
    )


def test_empty_tree_checkpoint(key: Ed25519PrivateKey, office_vkey: str) -> None:
    root = hashlib.sha256(b"").digest()
    checkpoint = open_checkpoint(sign_checkpoint(ORIGIN, 0, root, key, "office"), office_vkey)
    assert (checkpoint.size, checkpoint.root, checkpoint.extensions) == (0, root, ())


def test_other_signatures_are_ignored(key: Ed25519PrivateKey, office_vkey: str) -> None:
    note = sign_checkpoint(ORIGIN, 7, ROOT, key, "office")
    body, ours = note.split("\n\n")
    witness = sign_checkpoint(ORIGIN, 7, ROOT, Ed25519PrivateKey.generate(), "witness")
    theirs = witness.split("\n\n")[1]
    for combined in (f"{body}\n\n{theirs}{ours}", f"{body}\n\n{ours}{theirs}"):
        assert open_checkpoint(combined, office_vkey).size == 7


def test_a_note_signed_by_another_key_is_refused(office_vkey: str) -> None:
    impostor = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidCheckpoint, match="no signature by key office"):
        open_checkpoint(sign_checkpoint(ORIGIN, 7, ROOT, impostor, "other"), office_vkey)
    same_name = sign_checkpoint(ORIGIN, 7, ROOT, impostor, "office")  # different key id
    with pytest.raises(InvalidCheckpoint, match="no signature by key office"):
        open_checkpoint(same_name, office_vkey)


def test_a_forged_signature_with_our_key_id_is_refused(
    key: Ed25519PrivateKey, office_vkey: str
) -> None:
    kid = key_id("office", raw_public(key))
    body = f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}\n"
    forged = Ed25519PrivateKey.generate().sign(body.encode())
    note = f"{body}\n\u2014 office {base64.b64encode(kid + forged).decode()}\n"
    with pytest.raises(InvalidCheckpoint, match="bad signature"):
        open_checkpoint(note, office_vkey)


@pytest.mark.parametrize(
    "old, new",
    [
        ("\n42\n", "\n43\n"),
        ("\n42\n", "\n4200\n"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(ROOT[::-1]).decode()),
        (ORIGIN, ORIGIN + "x"),
        ("Timestamp: 1", "Timestamp: 2"),
    ],
)
def test_an_altered_body_is_refused(
    key: Ed25519PrivateKey, office_vkey: str, old: str, new: str
) -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, "office", extensions=["Timestamp: 1"])
    with pytest.raises(InvalidCheckpoint, match="bad signature"):
        open_checkpoint(note.replace(old, new, 1), office_vkey)


def _signed(key: Ed25519PrivateKey, body: str) -> str:
    """A note over an arbitrary body, to test what the parser refuses once signed."""
    kid = key_id("office", raw_public(key))
    signature = base64.b64encode(kid + key.sign(body.encode())).decode()
    return f"{body}\n\u2014 office {signature}\n"


ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "body, message",
    [
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "bad size"),
        (f"{ORIGIN}\n042\n{ROOT_B64}\n", "bad size"),
        (f"{ORIGIN}\nseven\n{ROOT_B64}\n", "bad size"),
        (f"{ORIGIN}\n\u0661\n{ROOT_B64}\n", "bad size"),  # a non-ASCII digit
        (f"{ORIGIN}\n7\nnot base64!\n", "not base64"),
        (f"{ORIGIN}\n7\n{base64.b64encode(ROOT[:31]).decode()}\n", "not 32 bytes"),
        (f"{ORIGIN}\n7\n", "needs origin, size and root"),
        (f"{ORIGIN}\n7\n{ROOT_B64}\n\nTimestamp: 1\n", "empty extension line"),
        (f"\n7\n{ROOT_B64}\n", "needs origin, size and root"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(
    key: Ed25519PrivateKey, office_vkey: str, body: str, message: str
) -> None:
    with pytest.raises(InvalidCheckpoint, match=message):
        open_checkpoint(_signed(key, body), office_vkey)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda note: note.replace("\n\n", "\n"),  # no blank line
        lambda note: note[:-1],  # no final newline
        lambda note: note.replace("\u2014 ", "- "),  # ASCII dash
        lambda note: note.replace("\u2014 office ", "\u2014 office  "),
        lambda note: note.replace("\u2014 office ", "\u2014 office !"),
        lambda note: note.split("\n\n")[0] + "\n\n",  # no signatures
        lambda note: note.split("\n\n")[0] + "\n\n\u2014 office AAAA\n",  # too short
        lambda note: note.replace("\n42\n", "\n42\t\n"),  # control character
        lambda note: "",
    ],
)
def test_malformed_notes_are_refused(key: Ed25519PrivateKey, office_vkey: str, mangle) -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, key, "office")
    with pytest.raises(InvalidCheckpoint, match="malformed"):
        open_checkpoint(mangle(note), office_vkey)


def test_sign_checkpoint_refuses_what_it_cannot_write(key: Ed25519PrivateKey) -> None:
    for args in [("", 1, ROOT), ("a\nb", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, 1, ROOT[:31])]:
        with pytest.raises(ValueError):
            sign_checkpoint(*args, key, "office")
    with pytest.raises(ValueError):
        sign_checkpoint(ORIGIN, 1, ROOT, key, "office", extensions=[""])
    with pytest.raises(ValueError):
        sign_checkpoint(ORIGIN, 1, ROOT, key, "off ice")


# --- keys on disk ----------------------------------------------------------------


def test_generate_then_load_a_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.pem"
    key = generate_private_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert raw_public(load_private_key(path)) == raw_public(key)
    with pytest.raises(FileExistsError):
        generate_private_key(path)
    assert raw_public(load_private_key(path)) == raw_public(key)  # left untouched


def test_load_refuses_other_keys(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key(path)


# --- the independent check of an event -------------------------------------------


def test_event_leaf_is_the_chain_serialisation() -> None:
    content = {"seq": 1, "comment": "café", "changes": {"b": 1, "a": [2]}}
    assert canonical_json(content) == '{"changes":{"a":[2],"b":1},"comment":"café","seq":1}'
    assert event_leaf(content) == canonical_json(content).encode("utf-8")


def test_check_event_proof(key: Ed25519PrivateKey, office_vkey: str) -> None:
    leaves = [event_leaf({"seq": i + 1, "action": "created"}) for i in range(11)]
    tree, store = CompactRange(), dict[Node, bytes]()
    for leaf in leaves:
        store.update(tree.append(leaf_hash(leaf)))
    note = sign_checkpoint(ORIGIN, 11, tree.root(), key, "office")
    proof = proof_hashes(inclusion_ranges(6, 11), store)

    ok, reason = check_event_proof(note, office_vkey, leaves[6], 6, proof)
    assert ok, reason
    assert check_event_proof(note, office_vkey, leaves[5], 6, proof)[0] is False
    tampered = event_leaf({"seq": 7, "action": "deleted"})
    ok, reason = check_event_proof(note, office_vkey, tampered, 6, proof)
    assert not ok and "does not lead" in reason
    assert not check_event_proof(note, office_vkey, leaves[6], 7, proof)[0]
    assert not check_event_proof(note, office_vkey, leaves[6], 6, proof[:-1])[0]
    ok, reason = check_event_proof(note, office_vkey, leaves[6], 11, proof)
    assert not ok and "outside" in reason
    other = vkey("office", Ed25519PrivateKey.generate().public_key())
    ok, reason = check_event_proof(note, other, leaves[6], 6, proof)
    assert not ok and "no signature" in reason
    ok, reason = check_event_proof(note, "garbage", leaves[6], 6, proof)
    assert not ok and "verifier key" in reason
