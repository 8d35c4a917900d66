"""Where agreements get stuck: time per state, review rounds, draft-to-activation
time and deadlines met, computed from the audit trail."""

from __future__ import annotations

from omd_gov.web.blueprint import bp  # noqa: F401 - its pages will join this blueprint
