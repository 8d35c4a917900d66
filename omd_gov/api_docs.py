"""The interactive API docs (Swagger UI) served from a Python package, not a
CDN: offices run behind firewalls, and the docs must work offline."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"
bp = Blueprint("api_docs_assets", __name__)


@bp.get(f"{ASSETS}/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


def install(app: Flask) -> None:
    app.register_blueprint(bp)
    app.config.update(
        SWAGGER_UI_CSS=f"{ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{ASSETS}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{ASSETS}/favicon-32x32.png",
    )
