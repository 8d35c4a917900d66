"""Immutable, content-addressed file storage for templates and documents.

The interface is two calls (``put``, ``get``) keyed by the
content's sha256, so an object store (S3, MinIO, Azure Blob) can replace the
directory without touching the services. Files are written once, atomically
(temp file + rename) and made read-only; the same bytes always get the same
key, so writing them twice is harmless.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app


class StorageError(Exception):
    """A file that should be there is not (or cannot be read)."""


class Storage(Protocol):
    def put(self, data: bytes, suffix: str = "") -> str: ...

    def get(self, key: str) -> bytes: ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DirectoryStorage:
    """Files under ``root/ab/abcdef…<suffix>``: two-level fan-out keeps
    directories small on file systems with many documents."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        digest, _, _suffix = key.partition(".")
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise StorageError(f"not a storage key: {key!r}")
        if "/" in key or "\\" in key or ".." in key:
            raise StorageError(f"not a storage key: {key!r}")
        return self.root / digest[:2] / key

    def put(self, data: bytes, suffix: str = "") -> str:
        key = sha256_hex(data) + suffix
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o444)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as error:
            raise StorageError(f"stored file {key} is missing or unreadable") from error


def get_storage() -> Storage:
    """The app's storage, built once per app from ``OMD_STORAGE_DIR``."""
    storage = current_app.extensions.get("omd_storage")
    if storage is None:
        storage = DirectoryStorage(current_app.config["OMD_STORAGE_DIR"])
        current_app.extensions["omd_storage"] = storage
    return storage


def verify_file(key: str | None, expected: str | None) -> dict[str, Any]:
    """Recompute the stored file's sha256 and compare it with the recorded one."""
    if not key or not expected:
        return {"sha256_recorded": expected, "sha256_actual": None, "matches": False,
                "problem": "no stored file"}  # fmt: skip
    try:
        actual = sha256_hex(get_storage().get(key))
    except StorageError as error:
        return {"sha256_recorded": expected, "sha256_actual": None, "matches": False,
                "problem": str(error)}  # fmt: skip
    matches = actual == expected
    problem = None if matches else "the stored file was altered after it was generated"
    return {"sha256_recorded": expected, "sha256_actual": actual, "matches": matches,
            "problem": problem}  # fmt: skip
