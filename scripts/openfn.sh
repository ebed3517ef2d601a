#!/usr/bin/env bash
# The `openfn-airflow` command on a checkout (what the Makefile calls): the `openfn` package from plugins/,
# with the settings of the local deployment (env.sh), as `make run` has them. An installed package has the
# command itself: `openfn-airflow --help`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$AIRFLOW_HOME"
PYTHONPATH="$repo/plugins${PYTHONPATH:+:$PYTHONPATH}" exec python -m openfn.cli "$@"
