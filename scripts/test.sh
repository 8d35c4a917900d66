#!/usr/bin/env bash
# The whole test suite: once on the embedded SQLite, once on the real
# PostgreSQL. Required servers that are down fail the run; nothing is skipped.
set -euo pipefail
BIN=.venv/bin
export OMD_TEST_PG_URL="${OMD_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

echo "== tests on SQLite (embedded default)"
OMD_TEST_DATABASE_URL= $BIN/pytest -p no:cacheprovider "$@"

echo "== tests on PostgreSQL ($OMD_TEST_PG_URL)"
OMD_TEST_DATABASE_URL="$OMD_TEST_PG_URL" $BIN/pytest -p no:cacheprovider "$@"
