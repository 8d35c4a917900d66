"""The register's DCAT-AP catalogue (issue 8) on PostgreSQL with 100,000 entries.

Seeds its own database with the API benchmark's rows (``bench.api_seed``:
100,000 agreements with their parties and data assets, one audit event each)
and gives every agreement a register entry by one ``INSERT … SELECT`` (an
entry's cost does not depend on its status), or reuses it (``--reuse``).

In one run, over the same rows, a page of entries at a time (the page size of
the catalogue, ``--page-size``):

- **json**: read the page (``queries.page_of_entries``), make the public
  dicts (``queries.public_page``) and serialise them to JSON, as the feed does;
- **ttl** / **jsonld**: the same read and dicts, then the catalogue page's
  graph (``dcat.build_catalog``) serialised by rdflib;
- **unpaged**: the whole catalogue as one graph and one Turtle document, for
  the first ``--unpaged`` entries (all 100,000 would take rdflib minutes and
  gigabytes).

Target: the catalogue in under 2× the time of the JSON. Writes
``bench/results/register_catalog.json``.

    .venv/bin/python -m bench.register_catalog_bench            # seeds, ~10 min
    .venv/bin/python -m bench.register_catalog_bench --reuse
    .venv/bin/python -m bench.register_catalog_bench --smoke    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import psycopg

from bench import common
from bench.api_seed import database_exists, psycopg_url, recreate_database, seed
from omd_gov import create_app
from omd_gov.db import db
from omd_gov.register import queries
from omd_gov.register.dcat import Page, build_catalog
from omd_gov.register.dcat_terms import CatalogSettings
from omd_gov.register.feeds import json_feed

SMOKE = {"database": "omd_smoke_register_catalog", "agreements": 300, "unpaged": 200}
TARGET = 2.0
BASE = "https://omd.example.org"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    add("--database", default="omd_bench_register_catalog")
    add("--agreements", type=int, default=100_000)
    add("--page-size", type=int, default=1000)
    add("--unpaged", type=int, default=10_000, help="entries in the one-graph measurement")
    add("--reuse", action="store_true", help="reuse the database of an earlier run")
    return common.parse_args(parser, argv, SMOKE)


def prepare(args: argparse.Namespace, url: str) -> int:
    if not (args.reuse and database_exists(url)):
        recreate_database(url)
        seed(url, agreements=args.agreements)
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO register_entries (agreement_id, reference, overrides, published_at,"
            " updated_at, withdrawal_reason, search_text) SELECT id, reference, '{}', now(),"
            " now(), '', lower(reference || ' ' || title) FROM agreements"
            " ON CONFLICT (agreement_id) DO NOTHING"
        )
        conn.execute("VACUUM ANALYZE register_entries")
        row = conn.execute("SELECT count(*) FROM register_entries").fetchone()
    return int(row[0]) if row else 0


def _json(shown: list[dict[str, Any]], _page: Page) -> int:
    return sum(len(chunk) for chunk in json_feed(shown, {"register": f"{BASE}/register"}))


def _rdf(kind: str, settings: CatalogSettings) -> Callable[[list[dict[str, Any]], Page], int]:
    def serialise(shown: list[dict[str, Any]], page: Page) -> int:
        return len(build_catalog(shown, settings, page).serialize(format=kind))

    return serialise


def measure_pages(settings: CatalogSettings, total: int) -> dict[str, Any]:
    """Each page read and shown once per way, the ways interleaved per page."""
    ways = {"json": _json, "ttl": _rdf("turtle", settings), "jsonld": _rdf("json-ld", settings)}
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    size = {name: 0 for name in ways}
    after, last = 0, max(1, -(-total // settings.page_size))
    for number in range(1, last + 1):
        for name, way in ways.items():
            started = time.perf_counter()
            entries = queries.page_of_entries(db.session, after, settings.page_size, True)
            shown = queries.public_page(db.session, entries, BASE)
            size[name] += way(shown, Page(number, last, total, f"{BASE}/p?page={number}"))
            seconds[name].append(time.perf_counter() - started)
            db.session.expunge_all()
        after = entries[-1].id if entries else after
    totals = {name: round(sum(values), 2) for name, values in seconds.items()}
    return {
        "pages": last,
        "total_seconds": totals,
        "page_p50_seconds": {n: round(common.percentile(v, 0.5), 3) for n, v in seconds.items()},
        "page_p95_seconds": {n: round(common.percentile(v, 0.95), 3) for n, v in seconds.items()},
        "bytes": size,
        "ratio_to_json": {n: round(totals[n] / totals["json"], 2) for n in ("ttl", "jsonld")},
    }


def measure_unpaged(settings: CatalogSettings, entries_wanted: int) -> dict[str, Any]:
    started = time.perf_counter()
    entries = queries.page_of_entries(db.session, 0, entries_wanted, True)
    shown = queries.public_page(db.session, entries, BASE)
    read = time.perf_counter() - started
    started = time.perf_counter()
    json_size = sum(len(chunk) for chunk in json_feed(shown, {}))
    as_json = time.perf_counter() - started
    started = time.perf_counter()
    graph = build_catalog(shown, settings)
    built = time.perf_counter() - started
    started = time.perf_counter()
    turtle = graph.serialize(format="turtle")
    written = time.perf_counter() - started
    db.session.expunge_all()
    return {
        "entries": len(shown),
        "triples": len(graph),
        "read_seconds": round(read, 2),
        "json_seconds": round(as_json, 2),
        "graph_seconds": round(built, 2),
        "turtle_seconds": round(written, 2),
        "bytes": {"json": json_size, "ttl": len(turtle)},
        "ratio_to_json": round((read + built + written) / (read + as_json), 2),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = args.server.rstrip("/") + "/" + args.database
    started = time.monotonic()
    entries = prepare(args, url)
    prepared = time.monotonic() - started
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    settings = CatalogSettings(base_url=BASE, page_size=args.page_size)
    with app.app_context():
        paged = measure_pages(settings, entries)
        unpaged = measure_unpaged(settings, args.unpaged)
        db.engine.dispose()
    ratio = paged["ratio_to_json"]["ttl"]
    result = {
        "commit": common.git_commit(),
        "entries": entries,
        "prepare_seconds": round(prepared, 1),
        "page_size": args.page_size,
        "paged": paged,
        "unpaged": unpaged,
        "target": f"catalogue < {TARGET}x JSON",
        "met": {"ttl": ratio < TARGET, "jsonld": paged["ratio_to_json"]["jsonld"] < TARGET},
    }
    out = common.results_dir(args) / "register_catalog.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
