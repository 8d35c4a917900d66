"""Sign-in and sign-out."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from omd_gov.auth.models import User
from omd_gov.auth.passwords import check_password
from omd_gov.auth.tokens import DEMO_TOKEN_PREFIX
from omd_gov.db import db
from omd_gov.web.accounts import safe_next, sign_in, sign_out, signed_in_user
from omd_gov.web.blueprint import bp
from omd_gov.web.throttle import throttled_login


@bp.get("/login")
def login() -> str | Response:
    target = safe_next(request.args.get("next"))
    if signed_in_user() is not None:
        return redirect(target)
    return render_template("login.html", next=target, email="")


@bp.post("/login")
@throttled_login
def login_submit() -> tuple[str, int] | Response:
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email)
    ).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.active else None
    demo_refused = password.startswith(DEMO_TOKEN_PREFIX) and not current_app.config["OMD_DEMO"]
    if not check_password(stored, password) or demo_refused or user is None:
        page = render_template("login.html", failed=True, email=email, next=target)
        return page, 401
    sign_in(user)
    return redirect(target, code=303)


@bp.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect("/login", code=303)
