"""The web pages' blueprint: its templates and its vendored static files
(served under ``/assets``; no CDN)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)
