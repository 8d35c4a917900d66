#!/usr/bin/env bash
# Runs every benchmark in bench/ (`make bench`). One line per benchmark at the
# bottom: add yours there. A failing benchmark does not stop the others; the
# script exits non-zero if any failed. Results land in bench/results/.
#
#   bash bench/run.sh            full runs (about 25 minutes; needs wrk)
#   bash bench/run.sh --smoke    every benchmark with --smoke: tiny sizes, a few
#                                seconds each, no wrk (`make test` runs this)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SMOKE=()
[ "${1:-}" = "--smoke" ] && SMOKE=(--smoke)
failed=()

# wrk (Debian package) drives the HTTP benchmarks from a second process.
ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
}

bench() {
    echo "== $* ${SMOKE[*]}"
    local started=$SECONDS
    "$@" "${SMOKE[@]}" || failed+=("$* ${SMOKE[*]}")
    echo "== $* ${SMOKE[*]}: $((SECONDS - started)) s"
}

if [ ${#SMOKE[@]} -eq 0 ]; then
    ensure_wrk || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
fi

bench "$PY" -m bench.api_bench
# Add further benchmarks below, one line each.
bench "$PY" -m bench.documents_bench
bench "$PY" -m bench.sweep_bench
bench "$PY" -m bench.reminder_bench
bench "$PY" -m bench.audit_bench
bench "$PY" -m bench.lean_bench
bench "$PY" -m bench.signatures_bench
bench "$PY" -m bench.analytics_bench
bench "$PY" -m bench.web_bench
bench "$PY" -m bench.register_bench
bench "$PY" -m bench.register_catalog_bench
# The profiler needs a database kept by `api_bench --keep`: smoke runs only.
[ ${#SMOKE[@]} -ne 0 ] && bench "$PY" -m bench.api_profile

if [ ${#failed[@]} -ne 0 ]; then
    printf 'failed benchmark: %s\n' "${failed[@]}" >&2
    exit 1
fi
