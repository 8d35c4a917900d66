"""The published document of a register entry: a DOCX written from the
entry's public view only (``entries.public_entry``), never from the
agreement or its internal DSA, so it cannot carry anything the redaction
policy holds back. One table row per public field, in the feeds' order and
wording (``feeds.cell``); the fields not published are named at the end."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from docx import Document

from omd_gov.register.entries import FIELDS
from omd_gov.register.feeds import cell

# Fields the table does not repeat (the heading and the closing line carry them).
NOT_IN_TABLE = ("reference", "title", "redacted", "withdrawn_at", "withdrawal_reason")
FIXED_TIME = datetime(2026, 1, 1)  # the same entry always gives the same bytes


def entry_document(shown: dict[str, Any]) -> bytes:
    document = Document()
    document.core_properties.created = document.core_properties.modified = FIXED_TIME
    document.core_properties.title = f"Register entry {shown['reference']}"
    document.add_heading(
        f"{shown['reference']}: {shown.get('title') or '(title not published)'}", 1
    )
    if shown["status"] == "withdrawn":
        document.add_paragraph(
            f"Withdrawn from the register on {cell('withdrawn_at', shown['withdrawn_at'])}: "
            f"{shown.get('withdrawal_reason') or ''}"
        )
    rows = [name for name in FIELDS if name not in NOT_IN_TABLE and shown.get(name) is not None]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for name in rows:
        label, value = table.add_row().cells
        label.text, value.text = name.replace("_", " "), cell(name, shown[name]) or "—"
    if shown.get("redacted"):
        names = ", ".join(name.replace("_", " ") for name in shown["redacted"])
        document.add_paragraph(f"Not published under the office's redaction policy: {names}.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
