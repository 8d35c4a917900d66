"""What the admin page tests share: a signed-in browser, posting a form with
the token of the page it is on, the audit events of an action, and the secret
a page shows once."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from omd_gov.audit.models import AuditEvent
from omd_gov.db import db
from tests.factories import Factory
from tests.web_support import Browser, browser, csrf_of, sign_in, web_user


def signed_in(app: Any, factory: Factory, role: str, org: int | None) -> Browser:
    _account, email = web_user(factory, role, org)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def post(client: Browser, page_url: str, url: str, data: dict[str, Any], **kw: Any) -> Any:
    """Post a form as the browser does: with the token of the page it is on."""
    token = csrf_of(client.get(page_url))
    return client.post(url, data={"csrf_token": token, **data}, **kw)


def events(entity_type: str, action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.action == action
    )
    return list(db.session.execute(statement).scalars())


def token_on(page: Any) -> str:
    found = re.search(r'id="secret"[^>]*value="([^"]+)"', text(page))
    assert found, text(page)
    return found.group(1)
