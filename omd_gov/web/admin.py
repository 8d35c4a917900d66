"""Admin pages: users and roles, organisations, holidays, the deadline policy,
templates, webhooks and failed deliveries."""

from __future__ import annotations

from omd_gov.web.blueprint import bp  # noqa: F401 - its pages will join this blueprint
