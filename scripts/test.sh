#!/usr/bin/env bash
# Runs every test. Each test session makes its own Airflow home and PostgreSQL server under a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest "$@"
