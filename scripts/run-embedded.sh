#!/usr/bin/env bash
# Migrate, load the demo once, and serve on http://127.0.0.1:8000 with the
# embedded defaults (SQLite under instance/, filesystem broker).
set -euo pipefail
BIN=.venv/bin
mkdir -p "$OMD_INSTANCE_DIR"
$BIN/omd-gov init
$BIN/omd-gov demo
cat <<MSG

omd-gov is starting on http://127.0.0.1:8000
  API:           http://127.0.0.1:8000/api/v1/agreements   (Authorization: Bearer <token>)
  API docs:      http://127.0.0.1:8000/docs   (OpenAPI: /openapi.json)
  Try:           curl -H 'Authorization: Bearer demo-legal-officer' http://127.0.0.1:8000/api/v1/agreements
The demo tokens above are DEMO CREDENTIALS: public, and refused unless OMD_DEMO=1.
Stop with Ctrl-C.

MSG
exec $BIN/omd-gov serve --host 127.0.0.1 --port "${OMD_PORT:-8000}"
