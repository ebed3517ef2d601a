#!/usr/bin/env bash
# Runs each benchmark in bench/ in turn; each prints its own table.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in bench/*.py; do
  [[ $(basename "$bench") == _* ]] && continue
  echo "== $bench"
  .venv/bin/python "$bench"
  echo
done
