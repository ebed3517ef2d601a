#!/usr/bin/env bash
# `make run`: Airflow standalone (SQLite, LocalExecutor) with every project under include/jobs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$AIRFLOW_HOME"
# One Fernet key for every component from the environment (the triggerer decrypts what the dag-processor
# stored with it): the one airflow.cfg already holds, else a new one, kept beside it.
if [ -z "${AIRFLOW__CORE__FERNET_KEY:-}" ]; then
  key_file=$AIRFLOW_HOME/fernet.key
  if [ ! -s "$key_file" ]; then
    existing=""
    if [ -f "$AIRFLOW_HOME/airflow.cfg" ]; then  # none yet on a fresh checkout: Airflow writes it on start
      existing=$(sed -n 's/^fernet_key *= *//p' "$AIRFLOW_HOME/airflow.cfg" | head -1)
    fi
    (umask 077; printf '%s' "${existing:-$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}" >"$key_file")
  fi
  export AIRFLOW__CORE__FERNET_KEY=$(cat "$key_file")
fi
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
