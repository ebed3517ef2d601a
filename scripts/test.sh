#!/usr/bin/env bash
# Runs the tests. Each pytest session makes its own Airflow home and PostgreSQL server under a temp dir.
#
# With arguments: one pytest session with them (`make check` passes `-m fast`).
# Without (`make test`): every test, in three pytest sessions at once, one per group of tiers; they share
# nothing but the machine. The tiers with real Airflow deployments spend most of their time waiting (for
# the scheduler, task processes, workers, timeouts), so the unit tiers run meanwhile:
#   1. every test without a deployment: fast, slow and postgres (its output is shown as it runs)
#   2. e2e: the deployments with LocalExecutor (api-server, scheduler, dag-processor)
#   3. browser and distributed: Chromium, FAB, and the Celery cluster
# Groups 2 and 3 write to a log that is printed when every session has ended. Then the tests marked serial
# (timing-sensitive when the CPU is starved) run in a session of their own, alone. The exit status is the
# first failing session's; pytest's 5 ("no tests collected") is a failure like any other.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest)
if [ $# -gt 0 ]; then
    exec "${PYTEST[@]}" "$@"
fi

# every test exactly once
UNIT="not (e2e or browser or distributed or serial)"
E2E="e2e and not (browser or distributed or serial)"
OTHERS="(browser or distributed) and not serial"
SERIAL="serial"

logs=$(mktemp -d -t openfn-tests.XXXXXX)
"${PYTEST[@]}" -p no:cacheprovider -m "$E2E" >"$logs/e2e.log" 2>&1 &
e2e=$!
"${PYTEST[@]}" -p no:cacheprovider -m "$OTHERS" >"$logs/others.log" 2>&1 &
others=$!
# Ctrl-C or a stop reaches the background sessions as an interrupt, so their fixtures stop their servers.
trap 'kill -INT "$e2e" "$others" 2>/dev/null || true' INT TERM

unit_status=0
"${PYTEST[@]}" -m "$UNIT" || unit_status=$?
e2e_status=0
wait "$e2e" || e2e_status=$?
others_status=0
wait "$others" || others_status=$?

for group in e2e others; do
    echo
    echo "=================== pytest -m \"$([ $group = e2e ] && echo "$E2E" || echo "$OTHERS")\" (run alongside) ==================="
    cat "$logs/$group.log"
done
rm -rf "$logs"

echo
echo "=================== pytest -m \"$SERIAL\" (alone) ==================="
serial_status=0
"${PYTEST[@]}" -p no:cacheprovider -m "$SERIAL" || serial_status=$?
echo
echo "exit status: unit tiers $unit_status, e2e $e2e_status, browser and distributed $others_status, serial $serial_status"
for status in "$unit_status" "$e2e_status" "$others_status" "$serial_status"; do
    if [ "$status" -ne 0 ]; then exit "$status"; fi
done
