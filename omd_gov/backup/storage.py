"""The document storage (``OMD_STORAGE_DIR``, ``omd_gov.documents.storage``):
content-addressed files, each written once under a temporary name, renamed
into place and never changed or deleted afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from omd_gov.backup.manifest import STORAGE, STORED_FILE, copy_hashed, summed


def _name(root: Path, path: Path) -> str:
    return f"{STORAGE}/{path.relative_to(root).as_posix()}"


def _stored(root: Path) -> Iterator[Path]:
    """Every stored file; a write still in flight (``.tmp-…``) is not one yet."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/*")):
        if path.is_file() and not path.is_symlink() and STORED_FILE.match(_name(root, path)):
            yield path


def copy_out(root: Path, backup: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Copy every stored file into ``backup``; their sums, and the names of
    those whose bytes no longer match their key (copied as they are)."""
    files: dict[str, dict[str, Any]] = {}
    altered = []
    for path in _stored(root):
        name = _name(root, path)
        files[name] = copy_hashed(path, backup / name)
        if not path.name.startswith(files[name]["sha256"]):
            altered.append(name)
    return files, altered


def copy_in(backup: Path, files: Mapping[str, Mapping[str, Any]], root: Path) -> int:
    """Put the backup's stored files under ``root``, each atomically and
    read-only as storage writes them; one already there with the same bytes
    stays. The number of files written."""
    written = 0
    for name, expected in files.items():
        if not STORED_FILE.match(name):
            continue
        dest = root / Path(name).relative_to(STORAGE)
        if dest.is_file() and summed(dest) == dict(expected):
            continue
        _place(backup / name, dest)
        written += 1
    return written


def _place(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".tmp-restore-{dest.name}")
    partial.unlink(missing_ok=True)
    try:
        copy_hashed(source, partial)
        os.chmod(partial, 0o444)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
