"""The agreements list: filters in the URL, search, sorting, pages, CSV export."""

from __future__ import annotations

from omd_gov.web.blueprint import bp  # noqa: F401 - its pages will join this blueprint
