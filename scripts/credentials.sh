#!/usr/bin/env bash
# `make credentials PROJECT=<folder> [ARGS=--replace|--dry-run]`: moves credential values out of a project
# file into the Airflow Connections of the local deployment (the one `make run` starts). In another
# deployment, run the same module where Airflow is configured: python -m openfn.tools.credentials <folder>
set -euo pipefail
project=${1:-}
if [[ -z $project ]]; then
  echo "usage: make credentials PROJECT=include/jobs/<folder>" >&2
  exit 2
fi
source "$(dirname "$0")/env.sh"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >/dev/null
PYTHONPATH="$repo/plugins" python -m openfn.tools.credentials "$project" ${ARGS:-}
