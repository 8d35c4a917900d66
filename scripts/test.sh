#!/usr/bin/env bash
# Every benchmark once in smoke mode (bench/run.sh --smoke: tiny sizes, so a
# change that breaks a benchmark fails here), then the whole suite once on the
# embedded SQLite and once on the real PostgreSQL. Required servers
# that are down fail the run; nothing is skipped. Arguments go to pytest.
#   make test            all three steps
#   make test-sqlite     OMD_TEST_STEPS=sqlite: the suite on SQLite only
#   make test-postgres   OMD_TEST_STEPS=postgres: the suite on PostgreSQL only
set -euo pipefail
BIN=.venv/bin
STEPS=" ${OMD_TEST_STEPS:-benches sqlite postgres} "
export OMD_TEST_PG_URL="${OMD_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
# Brokers: the reminder tests run a real worker on each of the embedded filesystem
# transport, Redis and RabbitMQ (unique queue and key prefix per test); an
# unreachable broker fails those tests, it never skips them.
export OMD_TEST_REDIS_URL="${OMD_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
export OMD_TEST_AMQP_URL="${OMD_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672//}"
$BIN/python - <<'PY' || { echo "error: the brokers above are required (bash scripts/start-services.sh)" >&2; exit 1; }
import os, sys
import redis
from kombu import Connection
down = []
try:
    redis.Redis.from_url(os.environ["OMD_TEST_REDIS_URL"], socket_connect_timeout=3).ping()
except Exception as error:
    down.append(f"Redis at {os.environ['OMD_TEST_REDIS_URL']}: {error}")
try:
    with Connection(os.environ["OMD_TEST_AMQP_URL"], connect_timeout=3) as connection:
        connection.ensure_connection(max_retries=1)
except Exception as error:
    down.append(f"RabbitMQ at {os.environ['OMD_TEST_AMQP_URL']}: {error}")
for line in down:
    print(f"error: {line}", file=sys.stderr)
sys.exit(1 if down else 0)
PY

# The smoke benches run first, so the run ends on pytest's own summary line.
if [[ $STEPS == *" benches "* ]]; then
    # On the local PostgreSQL and Redis (127.0.0.1), each bench in a scratch
    # database or queue of its own.
    echo "== benchmarks in smoke mode"
    bash bench/run.sh --smoke
fi
if [[ $STEPS == *" sqlite "* ]]; then
    echo "== tests on SQLite (embedded default)"
    OMD_TEST_DATABASE_URL= $BIN/pytest -p no:cacheprovider "$@"
fi
if [[ $STEPS == *" postgres "* ]]; then
    echo "== tests on PostgreSQL ($OMD_TEST_PG_URL)"
    OMD_TEST_DATABASE_URL="$OMD_TEST_PG_URL" $BIN/pytest -p no:cacheprovider "$@"
fi
