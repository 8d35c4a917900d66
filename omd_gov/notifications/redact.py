"""Secrets never travel in shown or stored URLs: the ``user:password@`` part
of every URL in a text (an SMTP URL, a webhook endpoint, an error message
quoting one) is masked before it is logged, stored or returned."""

from __future__ import annotations

import re

# scheme://userinfo@ ; greedy up to the authority's last "@" (an unencoded
# "@" in a password must not leave its tail behind).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s'\"]*@")


def redact(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``."""
    return _USERINFO.sub(r"\1***@", text)
