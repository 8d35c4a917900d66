"""The cooperation page: the Data Cooperation Canvas as a grid, its stage, its agreements."""

from __future__ import annotations

from omd_gov.web.blueprint import bp  # noqa: F401 - its pages will join this blueprint
