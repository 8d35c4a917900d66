"""A backup's layout and its manifest: every file with its sha256 and size.
The manifest is written last and atomically, so a backup without one is
incomplete and refused; restore checks every file against it first."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omd_gov.errors import ServiceError

FORMAT = "omd-gov-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SIGNER_NOTE = "audit/last-checkpoint"
STORAGE = "storage"
# Document storage keys: <sha256 hex><suffix>, under their first two hex digits.
STORED_FILE = re.compile(r"^storage/([0-9a-f]{2})/\1[0-9a-f]{62}(\.[A-Za-z0-9_-]+)*$")
_CHUNK = 1 << 20


class BackupError(ServiceError):
    status, title, slug = 409, "Backup refused", "backup-refused"


def copy_hashed(source: Path, dest: Path) -> dict[str, Any]:
    """Copy ``source`` to the new file ``dest`` (synced to disk); the sum and
    size of the bytes written, i.e. of what the backup holds."""
    digest, size = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as src, dest.open("xb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def summed(path: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_file(dest: Path, data: bytes) -> dict[str, Any]:
    """Write the new file ``dest`` (synced to disk); its sum and size."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def write(root: Path, manifest: Mapping[str, Any]) -> str:
    """Sync every directory of the backup, then write the manifest under a
    temporary name and rename it into place, so that it is there whole or not
    at all, and only once everything it lists is; its sha256."""
    for directory in sorted({path.parent for path in root.rglob("*")}, reverse=True):
        fsync_dir(directory)
    partial = root / f".{MANIFEST}.partial"
    summary = write_file(partial, json.dumps(manifest, indent=2, sort_keys=True).encode())
    os.replace(partial, root / MANIFEST)
    fsync_dir(root)
    return str(summary["sha256"])


def load(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"refusing {root}: it has no {MANIFEST}, so the backup is incomplete "
            "(interrupted or failed) or not a backup"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"refusing {root}: {MANIFEST} is not valid JSON ({error})") from error
    problem = _shape_problem(manifest)
    if problem:
        raise BackupError(f"refusing {root}: {MANIFEST} {problem}")
    return dict(manifest)


def _shape_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "is not an object"
    if (manifest.get("format"), manifest.get("format_version")) != (FORMAT, FORMAT_VERSION):
        return f"is not a {FORMAT} v{FORMAT_VERSION} manifest"
    if not isinstance(manifest.get("files"), dict):
        return "lists no files"
    database = manifest.get("database")
    if not isinstance(database, dict) or database.get("dialect") not in DATABASE_FILES:
        return f"names no database dialect of {sorted(DATABASE_FILES)}"
    if not isinstance(manifest.get("audit"), dict):
        return "has no audit section"
    revisions = database.get("alembic_revisions")
    if not isinstance(revisions, list) or not all(isinstance(r, str) for r in revisions):
        return "lists no schema revisions"
    return None


def _present(root: Path) -> set[str]:
    names = set()
    for path in root.rglob("*"):
        if path.is_symlink() or path.is_file():
            names.add(path.relative_to(root).as_posix())
    return names - {MANIFEST}


def _mismatch(root: Path, name: str, expected: Any) -> str | None:
    if (root / name).is_symlink():
        return f"{name}: a symbolic link, not a file"
    actual = summed(root / name)
    if not isinstance(expected, dict) or actual["size"] != expected.get("size"):
        return f"{name}: {actual['size']} bytes, not the size the manifest lists"
    if actual["sha256"] != expected.get("sha256"):
        return f"{name}: its sha256 does not match the manifest (altered or corrupt)"
    return None


def _layout_problems(names: set[str], dialect: str) -> list[str]:
    allowed = {DATABASE_FILES.get(dialect), SIGNER_NOTE}
    return [
        f"{name}: not a file a {dialect} backup holds"
        for name in sorted(names)
        if name not in allowed and not STORED_FILE.match(name)
    ]


def problems(root: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Every difference between the files under ``root`` and the manifest."""
    files: dict[str, Any] = manifest["files"]
    present, listed = _present(root), set(files)
    found = [f"{name}: listed in the manifest but missing" for name in sorted(listed - present)]
    found += [f"{name}: not in the manifest (unexpected)" for name in sorted(present - listed)]
    dialect = manifest["database"]["dialect"]
    found += _layout_problems(listed, dialect)
    if DATABASE_FILES[dialect] not in files:
        found.append(f"{DATABASE_FILES[dialect]}: the database copy is not listed")
    for name in sorted(present & listed):
        if (problem := _mismatch(root, name, files[name])) is not None:
            found.append(problem)
    return found


def verified(root: Path) -> dict[str, Any]:
    """The manifest, once every file matches it; refused (naming the files) otherwise."""
    manifest = load(root)
    found = problems(root, manifest)
    if found:
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise BackupError(f"refusing the backup in {root}: " + "; ".join(found[:10]) + more)
    return manifest
