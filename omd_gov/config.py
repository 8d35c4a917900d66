"""Configuration, read from the environment (``OMD_*``) with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def load_config(instance_path: Path) -> dict[str, Any]:
    """Build the Flask config dict. Every value can be overridden by ``OMD_*``."""
    instance = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": _env(
            "OMD_DATABASE_URL", f"sqlite:///{instance / 'omd_gov.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": _env("OMD_SECRET_KEY", ""),
        "OMD_DEMO": _env("OMD_DEMO", "0") == "1",
        "OMD_BROKER_URL": _env("OMD_BROKER_URL", f"filesystem://{instance / 'broker'}"),
        "OMD_STORAGE_DIR": _env("OMD_STORAGE_DIR", str(instance / "storage")),
        # Documents (docs/DOCUMENTS.md): template limits, render and PDF time limits.
        "OMD_TEMPLATE_MAX_BYTES": int(_env("OMD_TEMPLATE_MAX_BYTES", str(4 * 1024 * 1024))),
        "OMD_TEMPLATE_MAX_UNZIPPED_BYTES": int(_env("OMD_TEMPLATE_MAX_UNZIPPED_BYTES", "50000000")),
        "OMD_TEMPLATE_MAX_ENTRIES": int(_env("OMD_TEMPLATE_MAX_ENTRIES", "500")),
        "OMD_RENDER_TIMEOUT": float(_env("OMD_RENDER_TIMEOUT", "30")),
        "OMD_RENDER_MEMORY_MB": int(_env("OMD_RENDER_MEMORY_MB", "1024")),
        "OMD_PDF_TIMEOUT": float(_env("OMD_PDF_TIMEOUT", "120")),
        "OMD_SOFFICE": _env("OMD_SOFFICE", "soffice"),
        "OMD_TEMPLATES_DIR": _env(
            "OMD_TEMPLATES_DIR", str(Path(__file__).parent.parent / "agreement_templates")
        ),
        "OMD_PUBLIC_URL": _env("OMD_PUBLIC_URL", "http://127.0.0.1:8000"),
        # Web pages (docs/WEB.md): session length, sign-in throttling and its storage.
        "OMD_SESSION_HOURS": int(_env("OMD_SESSION_HOURS", "8")),
        "OMD_RATELIMIT_STORAGE_URL": _env("OMD_RATELIMIT_STORAGE_URL", ""),  # empty: memory
        "OMD_LOGIN_LIMIT_ACCOUNT": _env("OMD_LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes"),
        "OMD_LOGIN_LIMIT_ADDRESS": _env("OMD_LOGIN_LIMIT_ADDRESS", "30 per 15 minutes"),
        # The public register's pages and feeds, per address (docs/REGISTER.md).
        "OMD_REGISTER_RATE_LIMIT": _env("OMD_REGISTER_RATE_LIMIT", "120 per minute"),
        # Its DCAT-AP catalogue (docs/OPEN_DATA.md).
        "OMD_REGISTER_PUBLISHER": _env("OMD_REGISTER_PUBLISHER", "Municipal Data Office"),
        "OMD_REGISTER_CONTACT_EMAIL": _env("OMD_REGISTER_CONTACT_EMAIL", ""),
        "OMD_REGISTER_LICENSE": _env(
            "OMD_REGISTER_LICENSE",
            "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        ),
        "OMD_REGISTER_THEMES": _env("OMD_REGISTER_THEMES", "GOVE"),
        "OMD_REGISTER_CATALOG_PAGE_SIZE": int(_env("OMD_REGISTER_CATALOG_PAGE_SIZE", "250")),
        "OMD_REFERENCE_PREFIX": _env("OMD_REFERENCE_PREFIX", "OMD"),
        # Deadlines, reminders, notifications (docs/DEADLINES.md, docs/OPERATIONS.md)
        "OMD_CALENDAR_COUNTRY": _env("OMD_CALENDAR_COUNTRY", "PT"),
        "OMD_CALENDAR_SUBDIV": _env("OMD_CALENDAR_SUBDIV", "13"),  # 13 = Porto
        "OMD_TIMEZONE": _env("OMD_TIMEZONE", "Europe/Lisbon"),
        "OMD_REMINDER_HOUR": int(_env("OMD_REMINDER_HOUR", "9")),
        "OMD_SWEEP_SECONDS": float(_env("OMD_SWEEP_SECONDS", "300")),
        "OMD_SWEEP_BATCH": int(_env("OMD_SWEEP_BATCH", "1000")),
        "OMD_SMTP_URL": _env("OMD_SMTP_URL", ""),  # empty: e-mails are only logged
        "OMD_SMTP_TIMEOUT": float(_env("OMD_SMTP_TIMEOUT", "30")),
        "OMD_MAIL_FROM": _env("OMD_MAIL_FROM", "omd-gov <no-reply@omd-gov.localhost>"),
        "OMD_WEBHOOK_TIMEOUT": float(_env("OMD_WEBHOOK_TIMEOUT", "10")),
        "OMD_CELERY_QUEUE": _env("OMD_CELERY_QUEUE", "omd"),
        "OMD_TASK_MAX_RETRIES": int(_env("OMD_TASK_MAX_RETRIES", "5")),
        "OMD_RETRY_BACKOFF_SECONDS": float(_env("OMD_RETRY_BACKOFF_SECONDS", "10")),
        "OMD_RETRY_BACKOFF_MAX_SECONDS": float(_env("OMD_RETRY_BACKOFF_MAX_SECONDS", "600")),
        "OMD_DELIVERY_LEASE_SECONDS": float(_env("OMD_DELIVERY_LEASE_SECONDS", "300")),
        "OMD_FAILED_RETRY_SECONDS": float(_env("OMD_FAILED_RETRY_SECONDS", "900")),
        "OMD_BROKER_VISIBILITY_TIMEOUT": int(_env("OMD_BROKER_VISIBILITY_TIMEOUT", "43200")),
        "OMD_BROKER_POLL_SECONDS": float(_env("OMD_BROKER_POLL_SECONDS", "0.25")),
        "OMD_BROKER_KEY_PREFIX": _env("OMD_BROKER_KEY_PREFIX", ""),
        # Signatures (docs/SIGNATURES.md): level, trust store, revocation, e-seal.
        "OMD_SIGNATURE_LEVEL": _env("OMD_SIGNATURE_LEVEL", "simple"),
        "OMD_TRUST_DIR": _env("OMD_TRUST_DIR", str(instance / "trust")),
        "OMD_TRUST_LIST": _env("OMD_TRUST_LIST", ""),  # optional local EU trusted list (XML)
        "OMD_REVOCATION_MODE": _env("OMD_REVOCATION_MODE", "soft-fail"),
        "OMD_REVOCATION_FETCH": _env("OMD_REVOCATION_FETCH", "1"),  # 0: never download CRL/OCSP
        "OMD_SEAL_P12": _env("OMD_SEAL_P12", ""),
        "OMD_SEAL_PASSWORD": _env("OMD_SEAL_PASSWORD", ""),
        "OMD_TSA_URL": _env("OMD_TSA_URL", ""),
        # The audit log's signed checkpoints (docs/AUDIT.md)
        "OMD_AUDIT_SIGNING_KEY": _env(
            "OMD_AUDIT_SIGNING_KEY", str(instance / "audit-signing-key.pem")
        ),
        "OMD_AUDIT_ORIGIN": _env("OMD_AUDIT_ORIGIN", ""),  # empty: <public host>/audit
        "OMD_AUDIT_VERIFIER_KEYS": _env("OMD_AUDIT_VERIFIER_KEYS", ""),  # empty: the signer's
        "OMD_FULL_VERIFY_SECONDS": float(_env("OMD_FULL_VERIFY_SECONDS", str(7 * 86400))),
        "OMD_CHECKPOINT_SECONDS": float(_env("OMD_CHECKPOINT_SECONDS", "3600")),
        # Operations (docs/OPERATIONS.md): logs, metrics, health checks, headers
        "OMD_LOG_FORMAT": _env("OMD_LOG_FORMAT", "json"),  # json or text
        "OMD_LOG_LEVEL": _env("OMD_LOG_LEVEL", "INFO"),
        "OMD_METRICS_TOKEN": _env("OMD_METRICS_TOKEN", ""),  # empty: /metrics answers 404
        "OMD_HEALTH_TIMEOUT": float(_env("OMD_HEALTH_TIMEOUT", "2")),
        "OMD_HSTS_SECONDS": int(_env("OMD_HSTS_SECONDS", "31536000")),  # 0: no HSTS
        "OMD_PROXY_COUNT": int(_env("OMD_PROXY_COUNT", "0")),  # trusted X-Forwarded-* hops
        "MAX_CONTENT_LENGTH": int(_env("OMD_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
        # APIFlask / OpenAPI
        "OPENAPI_VERSION": "3.1.0",
        "VALIDATION_ERROR_STATUS_CODE": 422,
        "AUTH_ERROR_STATUS_CODE": 401,
        "DOCS_UI": "swagger-ui",
        "INFO": {"description": "Data-sharing agreement workflow for a Municipal Data Office."},
    }


# Settings with a fixed set of values: a typo stops the app at start-up.
CHOICES = {
    "OMD_SIGNATURE_LEVEL": ("simple", "advanced"),
    "OMD_REVOCATION_MODE": ("hard-fail", "soft-fail", "off"),
    "OMD_REVOCATION_FETCH": ("1", "0"),
}


def check_choices(config: dict[str, Any]) -> None:
    for name, allowed in CHOICES.items():
        if config.get(name) not in allowed:
            raise RuntimeError(
                f"{name} must be one of {', '.join(allowed)}, not {config.get(name)!r}"
            )
