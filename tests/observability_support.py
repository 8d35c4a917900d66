"""Reading /metrics in tests: scrape with the token, look samples up by name
and labels (0 when absent, so deltas work from a first scrape)."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "test-metrics-token-1234567890"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client: Any) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.data
    return parse(response.get_data(as_text=True))
