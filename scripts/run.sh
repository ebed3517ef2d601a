#!/usr/bin/env bash
# `make run`: Airflow standalone (SQLite, LocalExecutor) with every project under include/jobs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$repo"
airflow standalone &
standalone=$!
trap 'kill $standalone 2>/dev/null; wait $standalone 2>/dev/null' INT TERM EXIT
for _ in $(seq 1 180); do
  curl -fsS "http://localhost:$OPENFN_PORT/api/v2/monitor/health" >/dev/null 2>&1 && break
  kill -0 $standalone 2>/dev/null || { echo "Airflow stopped; see the output above." >&2; exit 1; }
  sleep 1
done
python scripts/banner.py
wait $standalone
