#!/usr/bin/env bash
# `make export PROJECT=<folder> [FORMAT=lightning|portability] [OUT=<file>]`: a Lightning project loaded
# here, written back in Lightning's format (default) or the CLI's portability 4.0 file.
set -euo pipefail
project=${1:-}
if [[ -z $project ]]; then
  echo "usage: make export PROJECT=include/jobs/<folder> [FORMAT=portability] [OUT=project.yaml]" >&2
  exit 2
fi
source "$(dirname "$0")/env.sh"
args=(--format "${FORMAT:-lightning}")
[[ -n ${OUT:-} ]] && args+=(--out "$OUT")
PYTHONPATH="$repo/plugins" python -m openfn.tools.export "$project" "${args[@]}"
