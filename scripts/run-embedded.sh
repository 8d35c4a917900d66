#!/usr/bin/env bash
# `make run`: migrate, load the demo once, then run everything on the embedded
# defaults (SQLite and the filesystem broker under instance/):
#   - a local SMTP debugging server that prints every e-mail to instance/mail.log,
#   - the Celery worker and Celery beat (the reminder sweep),
#   - the web server on http://127.0.0.1:8000.
# Ctrl-C (or any of them dying) stops all of them.
set -euo pipefail
BIN=.venv/bin
mkdir -p "$OMD_INSTANCE_DIR"
SMTP_PORT="${OMD_DEV_SMTP_PORT:-8025}"
export OMD_SMTP_URL="${OMD_SMTP_URL:-smtp://127.0.0.1:$SMTP_PORT}"
export OMD_SWEEP_SECONDS="${OMD_SWEEP_SECONDS:-60}"
# Metrics: the web server and the worker count into one folder, so a scrape
# of /metrics shows both (docs/OPERATIONS.md). The token is a DEMO CREDENTIAL.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$OMD_INSTANCE_DIR/prometheus}"
export OMD_METRICS_TOKEN="${OMD_METRICS_TOKEN:-demo-metrics-token}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
# The city's e-seal: the demo's PKCS#12 (a DEMO CREDENTIAL, docs/SIGNATURES.md).
export OMD_SEAL_P12="${OMD_SEAL_P12:-$OMD_INSTANCE_DIR/signing/city-seal.p12}"
export OMD_SEAL_PASSWORD="${OMD_SEAL_PASSWORD:-demo}"
LOGS="$OMD_INSTANCE_DIR"
pids=()

stop_all() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        echo; echo "stopping (pids ${pids[*]})..."
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 1 100); do  # up to 10 s for a warm shutdown
            alive=0
            for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
            [ $alive -eq 0 ] && break
            sleep 0.1
        done
        kill -KILL "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap stop_all INT TERM EXIT

$BIN/omd-gov init
$BIN/omd-gov demo

$BIN/python -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c omd_gov.notifications.devmail.Printer \
    >>"$LOGS/mail.log" 2>&1 &
pids+=($!)
$BIN/python -m omd_gov.tasking.worker --concurrency 2 --loglevel INFO \
    -n "omd-embedded-$$@%h" >>"$LOGS/worker.log" 2>&1 &
pids+=($!)
$BIN/celery -A celery_worker beat --loglevel INFO >>"$LOGS/beat.log" 2>&1 &
pids+=($!)
$BIN/omd-gov serve --host 127.0.0.1 --port "${OMD_PORT:-8000}" &
pids+=($!)

cat <<MSG

omd-gov is starting on http://127.0.0.1:${OMD_PORT:-8000}
  Web pages:     http://127.0.0.1:${OMD_PORT:-8000}/   (sign in: a demo e-mail above, password demo-password)
  API:           http://127.0.0.1:${OMD_PORT:-8000}/api/v1/agreements   (Authorization: Bearer <token>)
  API docs:      http://127.0.0.1:${OMD_PORT:-8000}/docs   (OpenAPI: /openapi.json)
  Try:           curl -H 'Authorization: Bearer demo-legal-officer' http://127.0.0.1:${OMD_PORT:-8000}/api/v1/agreements
  Deadlines:     curl -H 'Authorization: Bearer demo-legal-officer' 'http://127.0.0.1:${OMD_PORT:-8000}/api/v1/deadlines?assignee=me'
  Reminder mail: tail -f $LOGS/mail.log     (local SMTP debugging server on 127.0.0.1:$SMTP_PORT)
  Worker, beat:  $LOGS/worker.log, $LOGS/beat.log   (sweep every ${OMD_SWEEP_SECONDS}s; JSON lines)
  Health:        curl http://127.0.0.1:${OMD_PORT:-8000}/healthz/live   and   /healthz/ready
  Metrics:       curl -H 'Authorization: Bearer $OMD_METRICS_TOKEN' http://127.0.0.1:${OMD_PORT:-8000}/metrics
The demo tokens and password are DEMO CREDENTIALS: public, and refused unless OMD_DEMO=1.
The metrics token is a demo value too: set OMD_METRICS_TOKEN to a secret of your own.
Stop with Ctrl-C.

MSG
# Whichever stops first (Ctrl-C, a crash) brings the others down with it.
wait -n "${pids[@]}" || true
