"""The register's open-data feeds, written as they are read: JSON (one object
with an ``entries`` array) and CSV (UTF-8 with a byte-order mark, RFC 4180,
one row per entry). Both carry every field of ``entries.FIELDS`` under the
same name; a CSV cell is the JSON value as one line of text (``cell``), so
the two agree field by field. docs/REGISTER.md documents the fields."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from omd_gov.register.entries import FIELDS
from omd_gov.spreadsheet import as_text

BOM = "\ufeff"  # so that spreadsheet software reads the file as UTF-8


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def json_feed(entries: Iterable[dict[str, Any]], header: dict[str, Any]) -> Iterator[str]:
    """``{**header, "entries": [...]}``, one entry per chunk."""
    opening = json.dumps(header, default=_plain, ensure_ascii=False)[:-1]
    yield opening + (', "entries": [' if header else '"entries": [')
    separator = ""
    for entry in entries:
        yield separator + json.dumps(entry, default=_plain, ensure_ascii=False)
        separator = ",\n"
    yield "]}\n"


def _party(row: dict[str, Any]) -> str:
    return f"{row['party']}: {row['role']}"


def _signatory(row: dict[str, Any]) -> str:
    return f"{row['name']} ({row['office']})"


def _asset(row: dict[str, Any]) -> str:
    personal = ", personal data" if row.get("personal_data") else ""
    return f"{row['name']} ({row['standard']}, {row['delivery']}{personal})"


def _obligation(row: dict[str, Any]) -> str:
    return f"{row['party']}: {row['obligations']}"


def _modification(row: dict[str, Any]) -> str:
    until = f", until {_text(row['end_date'])}" if row.get("end_date") else ""
    return f"{_text(row['date'])} {row['type']} {row['reference']}: {row['summary']}{until}"


# How a list of records reads in one cell.
RECORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "gdpr_roles": _party,
    "signatories": _signatory,
    "data_assets": _asset,
    "modifications": _modification,
    "obligations": _obligation,
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def cell(field: str, value: Any) -> str:
    """A field's value as one CSV cell (lists joined by "; "), never a formula."""
    if field in RECORDS and isinstance(value, list):
        text = "; ".join(RECORDS[field](row) for row in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    elif isinstance(value, list):
        text = "; ".join(_text(item) for item in value)
    else:
        text = _text(value)
    return as_text(text)


def csv_feed(entries: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header row, then one row per entry (CRLF line ends, RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(FIELDS)
    yield BOM + flushed()
    for entry in entries:
        writer.writerow([cell(field, entry.get(field)) for field in FIELDS])
        yield flushed()
