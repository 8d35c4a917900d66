"""Lifecycle webhooks follow every transition: :func:`register` (called by
the app factory) has each transition ask for the fan-out task after its
commit (``lifecycle.announce_transition``). The event itself is the
transition's audit event, written in its unit of work."""

from __future__ import annotations

from omd_gov.agreements import hooks
from omd_gov.notifications.lifecycle import announce_transition


def register() -> None:
    hooks.after_transition(announce_transition)
