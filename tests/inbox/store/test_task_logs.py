"""Task log files as the api-server reaches them (store/task_logs.py): where a task's log is by Airflow's
filename template, its last lines as a person reads them, and a run's logs erased whole."""

from __future__ import annotations

import datetime
import json

from openfn.inbox.store.task_logs import TaskTry, erase_logs, erasure_line, format_line, log_path, run_folder, tail

AT = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.timezone.utc)


def _write(folder, dag_id, run_id, task_id, attempt, lines):
    path = folder / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}" / f"attempt={attempt}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_paths_follow_airflows_default_template(tmp_path):
    assert log_path(TaskTry("clinic.payment", "message__m__1", "run", 2), tmp_path) == \
        tmp_path / "dag_id=clinic.payment" / "run_id=message__m__1" / "task_id=run" / "attempt=2.log"
    assert run_folder("clinic.payment", "message__m__1", tmp_path) == tmp_path / "dag_id=clinic.payment" / "run_id=message__m__1"


def test_a_log_line_reads_as_time_level_message_with_its_exception():
    line = json.dumps({"timestamp": "2026-03-01T09:30:05.1Z", "level": "error", "event": "Task failed with exception",
                       "error_detail": [{"exc_type": "JobFailed", "exc_value": "no patient", "is_cause": False}]})  # fmt: skip
    assert format_line(line) == "09:30:05 ERROR   Task failed with exception\nJobFailed: no patient"
    assert format_line("plain text\n") == "plain text"


def test_the_tail_says_whether_there_is_more_and_the_last_exception(tmp_path):
    path = _write(tmp_path, "d", "r", "run", 1, [{"timestamp": f"2026-03-01T09:30:{n:02d}Z", "level": "info", "event": f"n{n}"} for n in range(5)])
    found = tail(path, 3)
    assert (found.lines, found.more, found.exception) == (["09:30:02 INFO    n2", "09:30:03 INFO    n3", "09:30:04 INFO    n4"], True, None)
    assert (len(tail(path, None).lines), tail(path, None).more) == (5, False)
    assert tail(tmp_path / "missing.log", 3) is None


def test_erasing_replaces_every_log_file_of_the_runs_and_no_other(tmp_path):
    erased = [_write(tmp_path, "p.a", "message__m__1", task, attempt, [{"event": "got Amina"}]) for task, attempt in
              (("run", 1), ("run", 2), ("flow_p.b", 1))]  # fmt: skip
    chained = _write(tmp_path, "p.b", "flow__m__2", "run", 1, [{"event": "handed Amina on"}])
    other = _write(tmp_path, "p.a", "message__n__1", "run", 1, [{"event": "got Baraka"}])
    line = erasure_line("m", "admin", AT)
    assert erase_logs([("p.a", "message__m__1"), ("p.b", "flow__m__2")], [], line, tmp_path) == 4
    assert [p.read_text() for p in [*erased, chained]] == [line] * 4
    assert "Baraka" in other.read_text()
    assert json.loads(line)["event"] == "This task log was erased by admin at 2026-03-01T09:30:00+00:00 with the content of message m."
    assert format_line(line).startswith("09:30:00 INFO    This task log was erased by admin")
    assert erase_logs([("p.a", "message__m__1"), ("p.b", "flow__m__2")], [], line, tmp_path) == 4  # again: the same files, unchanged
