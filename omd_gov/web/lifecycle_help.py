"""The lifecycle diagram (SVG from the state machine) and the 'How agreements move' page."""

from __future__ import annotations

from omd_gov.web.blueprint import bp  # noqa: F401 - its pages will join this blueprint
