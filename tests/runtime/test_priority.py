"""A job's task lowers its own CPU priority (and that of what it starts) below Airflow's processes."""

from __future__ import annotations

import multiprocessing
import os
import subprocess

from openfn.runtime.priority import lower_priority


def _in_child(nice: int, queue) -> None:
    before = os.nice(0)
    after = lower_priority(nice)
    again = lower_priority(nice)  # a second task in the same process changes nothing
    node = int(subprocess.run(["sh", "-c", "cut -d' ' -f19 /proc/self/stat"], capture_output=True, text=True).stdout)
    queue.put((before, after, again, node))


def test_the_task_and_what_it_starts_run_at_the_configured_niceness():
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_in_child, args=(10, queue))
    child.start()
    child.join(30)
    before, after, again, started = queue.get(timeout=5)
    assert (after, again, started) == (max(before, 10),) * 3


def test_zero_leaves_the_priority_as_it_is():
    assert lower_priority(0) == os.nice(0)
