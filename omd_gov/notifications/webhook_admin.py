"""Admins register and deactivate organisations' webhooks (one per organisation)."""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from omd_gov.audit.chain import append_event
from omd_gov.auth.actors import Actor
from omd_gov.db import transaction
from omd_gov.errors import Conflict, NotFound, Unprocessable
from omd_gov.notifications.models import Webhook
from omd_gov.notifications.redact import redact
from omd_gov.notifications.webhooks import new_secret
from omd_gov.organizations.models import Organization


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, demo: bool) -> None:
    """Payloads travel over TLS: plain http only in demo mode or to this host."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise Unprocessable("invalid webhook URL", [{"field": "url", "message": "no host"}])
    if parts.scheme != "https" and not (demo or _loopback(parts.hostname)):
        raise Unprocessable(
            "webhooks must use https",
            [{"field": "url", "message": "https only (http: demo mode or loopback hosts)"}],
        )


def create_webhook(
    session: Session, actor: Actor, organization_id: int, url: str, *, demo: bool
) -> Webhook:
    """Register the organisation's webhook with a new signing secret (the
    caller shows it once). A deactivated one is reused: one row per organisation."""
    check_webhook_url(url, demo)
    with transaction(session):
        if session.get(Organization, organization_id) is None:
            raise NotFound(f"organisation {organization_id} not found")
        hook = session.execute(
            select(Webhook).where(Webhook.organization_id == organization_id)
        ).scalar_one_or_none()
        if hook is not None and hook.active:
            raise Conflict("this organisation already has a webhook; delete it first")
        if hook is None:
            hook = Webhook(organization_id=organization_id)
            session.add(hook)
        hook.url, hook.secret, hook.active = url, new_secret(), True
        session.flush()
        append_event(
            session,
            actor,
            entity_type="webhook",
            entity_id=hook.id,
            action="create",
            changes={
                "url": {"from": None, "to": redact(hook.url)},
                "organization_id": {"from": None, "to": hook.organization_id},
            },
        )
    return hook


def deactivate_webhook(session: Session, actor: Actor, webhook_id: int) -> None:
    """Deactivate (deliveries keep their history); an inactive one is "not found"."""
    with transaction(session):
        hook = session.get(Webhook, webhook_id)
        if hook is None or not hook.active:
            raise NotFound(f"webhook {webhook_id} not found")
        hook.active = False
        append_event(
            session,
            actor,
            entity_type="webhook",
            entity_id=hook.id,
            action="deactivate",
            changes={"active": {"from": True, "to": False}},
        )
