"""Configuration, read from the environment (``OMD_*``) with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_INSTANCE = Path(os.environ.get("OMD_INSTANCE_DIR", Path.cwd() / "instance"))


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def load_config(instance_path: Path | None = None) -> dict[str, Any]:
    """Build the Flask config dict. Every value can be overridden by ``OMD_*``."""
    instance = Path(instance_path or DEFAULT_INSTANCE)
    return {
        "SQLALCHEMY_DATABASE_URI": _env(
            "OMD_DATABASE_URL", f"sqlite:///{instance / 'omd_gov.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": _env("OMD_SECRET_KEY", ""),
        "OMD_DEMO": _env("OMD_DEMO", "0") == "1",
        "OMD_BROKER_URL": _env("OMD_BROKER_URL", f"filesystem://{instance / 'broker'}"),
        "OMD_STORAGE_DIR": _env("OMD_STORAGE_DIR", str(instance / "storage")),
        "OMD_PUBLIC_URL": _env("OMD_PUBLIC_URL", "http://127.0.0.1:8000"),
        "OMD_REFERENCE_PREFIX": _env("OMD_REFERENCE_PREFIX", "OMD"),
        "MAX_CONTENT_LENGTH": int(_env("OMD_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        # APIFlask / OpenAPI
        "OPENAPI_VERSION": "3.1.0",
        "VALIDATION_ERROR_STATUS_CODE": 422,
        "AUTH_ERROR_STATUS_CODE": 401,
        "DOCS_UI": "swagger-ui",
        "INFO": {"description": "Data-sharing agreement workflow for a Municipal Data Office."},
    }
