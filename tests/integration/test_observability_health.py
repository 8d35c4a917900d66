"""/healthz/live and /healthz/ready: no authentication, each part named when
it is down, and nothing of the configuration in the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from omd_gov import create_app

SECRET = "hunter2-do-not-leak"
ALL_OK = {"database": "ok", "broker": "ok", "storage": "ok", "libreoffice": "ok"}


def test_live_answers_without_authentication(client: Any) -> None:
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json == {"status": "live"}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_when_every_part_is(client: Any) -> None:
    response = client.get("/healthz/ready")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready", "checks": ALL_OK}


def _broken(tmp_path: Path, part: str) -> tuple[str, Any, list[str]]:
    """The setting that breaks ``part``, its value, and what must not leak."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    return {
        "broker-folder": ("OMD_BROKER_URL", f"filesystem://{a_file}", [str(a_file)]),
        "broker-redis": ("OMD_BROKER_URL", f"redis://:{SECRET}@127.0.0.1:1/0", [SECRET, ":1"]),
        "broker-rabbitmq": (
            "OMD_BROKER_URL",
            f"amqp://guest:{SECRET}@127.0.0.1:1//",
            [SECRET, "127.0.0.1"],
        ),
        "storage": ("OMD_STORAGE_DIR", str(a_file), [str(tmp_path)]),
        "libreoffice": ("OMD_SOFFICE", str(tmp_path / "no-soffice"), [str(tmp_path)]),
    }[part]


@pytest.mark.parametrize(
    "part", ["broker-folder", "broker-redis", "broker-rabbitmq", "storage", "libreoffice"]
)
def test_unready_names_the_part_that_is_down_and_leaks_nothing(
    app: Any, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    setting, broken, secrets = _broken(tmp_path, part)
    monkeypatch.setitem(app.config, setting, broken)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    name = part.partition("-")[0]
    assert response.json == {"status": "unready", "checks": ALL_OK | {name: "down"}}
    body = response.get_data(as_text=True)
    assert not [secret for secret in secrets if secret in body]


def test_an_unreachable_database_is_named_and_its_url_is_not_shown(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://omd:{SECRET}@127.0.0.1:1/omd?connect_timeout=2"
    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": url,
            "OMD_BROKER_URL": f"filesystem://{tmp_path / 'broker'}",
            "OMD_STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    response = broken.test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.json["checks"] == ALL_OK | {"database": "down"}
    body = response.get_data(as_text=True)
    assert SECRET not in body and "127.0.0.1" not in body and "psycopg" not in body
    # Liveness asks nothing of the database.
    assert broken.test_client().get("/healthz/live").status_code == 200


def test_health_and_metrics_stay_out_of_the_openapi_document(client: Any) -> None:
    paths = client.get("/openapi.json").json["paths"]
    assert not [path for path in paths if path.startswith(("/healthz", "/metrics"))]
