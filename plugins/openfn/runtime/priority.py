"""A job's task runs below Airflow's own processes on the same machine.

Many OpenFn deployments run everything on one small server: the api-server that answers senders and the
tasks that run jobs share its cores. A sender (CommCare, a registration app) that waits seconds for its 202
while jobs run resends or gives up, so the task process lowers its own CPU priority (nice) before the job
runs; what it starts (Node.js, the warm JavaScript engine) inherits it. Raising niceness needs no privilege
and cannot be undone by the task, which is what is wanted.
"""

from __future__ import annotations

import os


def lower_priority(nice: int) -> int:
    """Make this process at least ``nice`` (0-19) nicer than the default; returns its niceness after."""
    current = os.nice(0)
    if nice > current:
        current = os.nice(nice - current)
    return current
