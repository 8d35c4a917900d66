"""Request ids (honoured, generated, echoed) and the one log line per
request: JSON, with the URL rule and the user, never a token."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from omd_gov.observability.logs import JsonFormatter, TextFormatter
from tests.integration.conftest import World


def test_an_incoming_request_id_is_honoured_and_echoed(client: Any) -> None:
    response = client.get("/healthz/live", headers={"X-Request-ID": "lb-7f3a:42.x_y"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:42.x_y"


@pytest.mark.parametrize("incoming", [None, "", "x" * 129, "two words", "<script>", "id;rm"])
def test_a_missing_or_unsafe_request_id_is_replaced(client: Any, incoming: str | None) -> None:
    headers = {"X-Request-ID": incoming} if incoming is not None else {}
    echoed = client.get("/healthz/live", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert client.get("/healthz/live").headers["X-Request-ID"] != echoed  # a new one each time


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def test_one_json_line_per_request_with_route_status_user_and_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    agreement = world.create_agreement()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="omd_gov.request"):
        world.api.as_(world.legal).get(
            f"/api/v1/agreements/{agreement['id']}", headers={"X-Request-ID": "req-detail-1"}
        )
    (line,) = [line for line in _lines(caplog) if line["logger"] == "omd_gov.request"]
    assert line["request_id"] == "req-detail-1"
    assert line["method"] == "GET" and line["status"] == 200
    assert line["route"] == "/api/v1/agreements/<int:agreement_id>"
    assert line["user_id"] == world.legal.user_id
    assert isinstance(line["duration_ms"], float) and line["level"] == "INFO"
    assert line["message"] == "GET /api/v1/agreements/<int:agreement_id> 200"  # no id, no path


def test_tokens_and_feed_urls_never_reach_the_log(
    world: World, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        feed = world.api.as_(world.legal).post("/api/v1/calendar/feed-token").json
        assert client.get(f"/api/v1/calendar.ics?token={feed['token']}").status_code == 200
        client.get("/api/v1/calendar.ics?token=ics_guessed-secret")
        world.api.as_(world.admin).get("/api/v1/agreements")
    text = "\n".join(json.dumps(line) for line in _lines(caplog))
    assert '"route": "/api/v1/calendar.ics"' in text
    for secret in (feed["token"], feed["url"], "ics_guessed-secret", world.admin.token):
        assert secret not in text


def test_the_text_format_carries_the_same_fields() -> None:
    record = logging.LogRecord("omd_gov.request", logging.INFO, __file__, 1, "GET /x 200", (), None)
    record.request_id = "abc"
    record.fields = {"route": "/x", "status": 200}
    line = TextFormatter().format(record)
    assert "[abc]" in line and "route=/x status=200" in line
