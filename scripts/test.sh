#!/usr/bin/env bash
# Runs the tests. Each pytest session makes its own Airflow home and PostgreSQL server under a temp dir.
#
# With arguments: one pytest session with them (`make check` passes `-n 2 --dist loadfile -m fast`).
# Without (`make test`): every test, in two pytest sessions at once; they share nothing but the machine.
# The tiers with real Airflow deployments spend most of their time waiting (for the scheduler, task
# processes, workers, timeouts), so each session pairs work that keeps the CPU busy with such waiting:
#   1. every test without a deployment (fast, slow and postgres; its output is shown as it runs), in two
#      pytest-xdist workers, a test file at a time each (its tests are CPU-bound; each worker makes its own
#      session fixtures), then the browser tier (Chromium against the deployments of tests/ui)
#   2. e2e (the deployments with LocalExecutor), then distributed (the Celery cluster). Never a third session
#      at once: a 2-core machine was then starved enough for the Celery cluster's 20-second lost-task
#      detection to fail a run now and then
# Group 2 writes to a log that is printed when both sessions have ended. Then the tests marked serial
# (timing-sensitive when the CPU is starved) run in a session of their own, alone. The exit status is the
# first failing session's; pytest's 5 ("no tests collected") is a failure like any other. Each session
# prints its slowest tests, to see where the time goes. The whole is bound by the CPU: three sessions at
# once, or e2e in two workers beside the CPU-bound tier, took as long or longer.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest)
if [ $# -gt 0 ]; then
    exec "${PYTEST[@]}" "$@"
fi

# every test exactly once
UNIT="not (e2e or browser or distributed or serial)"
E2E="e2e and not (browser or distributed or serial)"
BROWSER="browser and not (distributed or serial)"
OTHERS="distributed and not serial"
SERIAL="serial"
DURATIONS=(--durations=12 --durations-min=5)

logs=$(mktemp -d -t openfn-tests.XXXXXX)
(
    e2e=0
    "${PYTEST[@]}" -p no:cacheprovider "${DURATIONS[@]}" -m "$E2E" >"$logs/e2e.log" 2>&1 || e2e=$?
    echo "$e2e" >"$logs/e2e.status"
    others=0
    "${PYTEST[@]}" -p no:cacheprovider "${DURATIONS[@]}" -m "$OTHERS" >"$logs/others.log" 2>&1 || others=$?
    echo "$others" >"$logs/others.status"
) &
deployments=$!
# Ctrl-C or a stop reaches the background session as an interrupt, so its fixtures stop their servers.
trap 'pkill -INT -P "$deployments" 2>/dev/null || true' INT TERM

unit_status=0
"${PYTEST[@]}" -n "${OPENFN_TEST_WORKERS:-2}" --dist loadfile "${DURATIONS[@]}" -m "$UNIT" || unit_status=$?
echo
echo "=================== pytest -m \"$BROWSER\" (after the first, alongside the second) ==================="
browser_status=0
"${PYTEST[@]}" -p no:cacheprovider "${DURATIONS[@]}" -m "$BROWSER" || browser_status=$?
wait "$deployments"
e2e_status=$(cat "$logs/e2e.status" 2>/dev/null || echo 1)
others_status=$(cat "$logs/others.status" 2>/dev/null || echo 1)

for group in e2e others; do
    echo
    echo "=================== pytest -m \"$([ $group = e2e ] && echo "$E2E" || echo "$OTHERS")\" (alongside the first) ==================="
    cat "$logs/$group.log"
done
rm -rf "$logs"

echo
echo "=================== pytest -m \"$SERIAL\" (alone) ==================="
serial_status=0
"${PYTEST[@]}" -p no:cacheprovider "${DURATIONS[@]}" -m "$SERIAL" || serial_status=$?
echo
echo "exit status: unit tiers $unit_status, browser $browser_status, e2e $e2e_status, distributed $others_status, serial $serial_status"
for status in "$unit_status" "$browser_status" "$e2e_status" "$others_status" "$serial_status"; do
    if [ "$status" -ne 0 ]; then exit "$status"; fi
done
