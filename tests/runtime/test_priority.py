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


def _parse_in_child(dag_id: str | None, queue) -> None:
    from openfn.builder import dags_for_this_parse
    from openfn.settings import get_settings

    if dag_id:
        os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = dag_id  # as Airflow sets it in a task process
        os.environ["_AIRFLOW_PARSING_CONTEXT_TASK_ID"] = "run"
    before = os.nice(0)
    dags = dags_for_this_parse()
    queue.put((before, os.nice(0), sorted(dags), get_settings().task_nice))


def _parse(dag_id: str | None):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_parse_in_child, args=(dag_id, queue))
    child.start()
    child.join(120)
    return queue.get(timeout=5)


def test_a_task_process_yields_the_cpu_from_its_dag_parse_on_and_other_parses_do_not():
    before, after, dags, nice = _parse("demo.register-patient")
    assert nice == 10 and dags == ["demo.register-patient"]  # the parse of a starting task: only its DAG
    assert after == max(before, nice)
    before, after, dags, _ = _parse(None)  # the dag-processor's parse
    assert "demo.register-patient" in dags and after == before
