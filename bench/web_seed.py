"""What the web pages' benchmark adds to the API benchmark's seeded database
(``bench.api_seed``): open deadlines, web passwords, and signed-in sessions.

The API seed has no deadlines, and the dashboard is mostly deadlines, so the
open ones a register of that size would have are added in one
``INSERT ... SELECT`` per kind, as the transitions would have opened them
(``omd_gov.deadlines.hooks``): legal review (the legal officers' queue),
changes (the owner), one signature per signing party, and for agreements in
force expiry and periodic review (the owner), with a publication still open
on one in ten. Due dates are spread from a week overdue to a year ahead.
"""

from __future__ import annotations

import re
from http.client import HTTPConnection, HTTPResponse
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg

from bench.api_seed import psycopg_url
from omd_gov import create_app
from omd_gov.auth.actors import Actor
from omd_gov.db import db
from omd_gov.users.services import set_password

PASSWORD = "bench-web-password"
COLUMNS = (
    "agreement_id, kind, party_id, assignee_id, assignee_role, assignee_organization_id, "
    "starts_on, due_on, status, revision, opened_at, created_at"
)
# (kind, party_id, assignee_id, assignee_role, assignee_organization_id, due_on, FROM ... WHERE)
KINDS = (
    ("'legal_review'", "NULL", "NULL", "'legal_officer'", "NULL", "current_date + a.id % 20 - 6",
     "agreements a WHERE a.state = 'legal_review'"),
    ("'changes'", "NULL", "a.owner_id", "NULL", "NULL", "current_date + a.id % 20 - 6",
     "agreements a WHERE a.state = 'changes_requested'"),
    ("'signature'", "p.id", "NULL", "'signatory'", "p.organization_id",
     "current_date + a.id % 30 - 7",
     "agreements a JOIN agreement_parties p ON p.agreement_id = a.id AND p.signs "
     "WHERE a.state = 'signing'"),
    ("'expiry'", "NULL", "a.owner_id", "'legal_officer'", "NULL", "a.end_date",
     "agreements a WHERE a.state = 'active' AND a.end_date IS NOT NULL"),
    ("'periodic_review'", "NULL", "a.owner_id", "'legal_officer'", "NULL",
     "current_date + a.id % 365", "agreements a WHERE a.state = 'active'"),
    ("'publication'", "NULL", "NULL", "'transparency_officer'", "NULL",
     "current_date + a.id % 10 - 3", "agreements a WHERE a.state = 'active' AND a.id % 10 = 0"),
)  # fmt: skip


def add_deadlines(url: str) -> int:
    """Open deadlines for the seeded agreements (none if the database has some
    already: a reused one). Returns how many the table holds."""
    with psycopg.connect(psycopg_url(url)) as conn:
        found = conn.execute("SELECT count(*) FROM deadlines").fetchone()
        if found is not None and found[0] == 0:
            for kind, party, user, role, org, due, source in KINDS:
                conn.execute(
                    f"INSERT INTO deadlines ({COLUMNS}) SELECT a.id, {kind}, {party}, {user}, "
                    f"{role}, {org}, current_date - a.id % 15, {due}, 'open', 1, now(), now() "
                    f"FROM {source}"
                )
        row = conn.execute("SELECT count(*) FROM deadlines").fetchone()
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE deadlines")
    return int(row[0]) if row else 0


def set_passwords(url: str, emails: list[str]) -> None:
    """The users' web password, through the users' service (audited, argon2)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-seed"})
    with app.app_context():
        for email in emails:
            set_password(db.session, Actor.system("cli"), email, PASSWORD)
        db.engine.dispose()


def _session(response: HTTPResponse, previous: str = "") -> str:
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    return cookies["session"].value if "session" in cookies else previous


def _get(port: int, path: str, cookie: str) -> tuple[int, str, str]:
    """(status, body, session cookie after it) of one GET."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"session={cookie}"} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body, _session(response, cookie)


def sign_in(port: int, email: str, password: str = PASSWORD) -> str:
    """Sign in as a browser does (the form's CSRF token, then POST /login) and
    open the dashboard once, so that the cookie carries its CSRF secret as a
    browser's would. Returns the session cookie's value."""
    _status, page, cookie = _get(port, "/login", "")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the sign-in page"
    form = {"email": email, "password": password, "next": "/", "csrf_token": found.group(1)}
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/login", body=urlencode(form), headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 303:
        raise RuntimeError(f"signing in as {email}: HTTP {response.status}")
    status, _page, cookie = _get(port, "/", _session(response))
    if status != 200:
        raise RuntimeError(f"the dashboard after signing in as {email}: HTTP {status}")
    return cookie


def still_signed_in(port: int, cookie: str) -> bool:
    """The cookie still opens the dashboard (not a redirect to the sign-in page)."""
    return _get(port, "/", cookie)[0] == 200
