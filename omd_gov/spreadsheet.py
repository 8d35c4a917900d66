"""Text for a CSV cell that spreadsheet software will show, not run."""

from __future__ import annotations

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's
# CSV injection list): such cells are prefixed with a quote and shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
