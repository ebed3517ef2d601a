"""The warm JavaScript engine, reached as a task reaches it (node/engine.py <-> js/src/engine.mjs): each
test uses a socket folder of its own, so it starts (and ends) its own engine."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from openfn.node import engine
from openfn.node.engine import EngineRun, socket_path

JS_DIR = Path(__file__).resolve().parents[2] / "js"
pytestmark = pytest.mark.skipif(not (JS_DIR / "node_modules").is_dir() or shutil.which("node") is None, reason="needs Node.js and make js")


@pytest.fixture(autouse=True)
def private_sockets(monkeypatch):
    folder = tempfile.mkdtemp(prefix="oe-")  # short: a Unix socket path holds 108 bytes at most
    monkeypatch.setattr(tempfile, "tempdir", folder)
    yield Path(folder)
    pid = engine_pid()
    if pid:
        os.kill(pid, signal.SIGTERM)
    shutil.rmtree(folder, ignore_errors=True)


def engine_pid() -> int | None:
    log = Path(f"{socket_path(JS_DIR, 'node')}.log")
    found = re.findall(r"openfn engine (\d+) listening", log.read_text()) if log.exists() else []
    return int(found[-1]) if found else None


def request(expression: str, state: dict | None = None, **extra) -> dict:
    return {"job": "j", "workflow": "p.j", "expression": expression, "adaptor": {"name": "@openfn/language-common", "version": "3.3.4"},
            "state": state if state is not None else {"data": {"n": 1}}, "configuration": {"password": "pw"}, "timeout_ms": 30000, **extra}  # fmt: skip


def run(expression: str, *, limit: int = 500, timeout: float = 60.0, logs: list | None = None, **extra) -> tuple[EngineRun, dict | None]:
    sink = (lambda level, message: logs.append(message)) if logs is not None else (lambda level, message: None)
    client = EngineRun("node", JS_DIR, memory_limit_mb=limit, default_limit_mb=500, on_log=sink)
    return client, client.run(request(expression, **extra), timeout=timeout)


def test_the_first_run_starts_the_engine_and_later_runs_reuse_it():
    _, first = run("fn(state => { state.data.n += 1; return state; });")
    pid = engine_pid()
    _, second = run("fn(state => { state.data.n += 2; return state; });")
    assert first == {"type": "result", "status": "success", "state": {"data": {"n": 2}}, "next": []}
    assert second["state"] == {"data": {"n": 3}}
    assert pid is not None and engine_pid() == pid


def test_the_runs_log_records_reach_the_task_log():
    logs: list[str] = []
    run("fn(state => { console.log('hello from the job'); return state; });", logs=logs)
    assert "[JOB] ℹ hello from the job" in logs


def test_a_run_over_its_memory_limit_fails_naming_the_limit_and_the_engine_goes_on():
    _, result = run("fn(state => { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); });", limit=64,
                    next={"handler": "on_job_failure", "done": "on_job_success"})  # fmt: skip
    assert result["status"] == "failure"
    assert result["error"]["type"] == "MemoryLimitExceeded"
    assert result["error"]["message"] == "the run used more than its memory limit of 64 MB and was stopped"
    assert result["next"] == ["handler"]
    _, after = run("fn(state => state);")
    assert after["status"] == "success"


def test_an_engine_killed_mid_run_loses_only_that_run_and_the_next_task_starts_a_new_one():
    run("fn(state => state);")
    pid = engine_pid()
    killer = threading.Timer(1.5, os.kill, (pid, signal.SIGKILL))
    killer.start()
    client, result = run("fn(state => new Promise(() => {}));")
    killer.join()
    assert result is None and client.lost and not client.timed_out
    _, after = run("fn(state => state);")
    assert after["status"] == "success"
    assert engine_pid() not in (None, pid)


def test_a_run_past_the_tasks_deadline_is_timed_out_and_its_thread_stopped():
    client, result = run("fn(state => new Promise(() => {}));", timeout=1.0)
    assert result is None and client.timed_out and not client.lost


def test_kill_from_another_thread_ends_the_run():
    client = EngineRun("node", JS_DIR, memory_limit_mb=500, default_limit_mb=500, on_log=lambda level, message: None)
    threading.Timer(1.0, client.kill).start()
    started = time.monotonic()
    assert client.run(request("fn(state => new Promise(() => {}));"), timeout=60) is None
    assert time.monotonic() - started < 30


def test_a_large_state_passes_through_both_ways():
    big = "x" * (20 * 1024 * 1024)
    _, result = run("fn(state => { state.data.size = state.data.big.length; return state; });", state={"data": {"big": big}})
    assert result["state"]["data"]["size"] == len(big)
    assert result["state"]["data"]["big"] == big


@pytest.mark.slow
def test_a_50_mb_state_passes_in_and_out_unchanged():
    """Text cut into the parts the result travels in must come back whole: characters outside the Basic
    Multilingual Plane (two UTF-16 units) straddle every part boundary somewhere in this state."""
    piece = "é😀\u2028\"\\x" * 7
    state = {"data": {"text": (piece * (25 * 2**20 // len(piece.encode()))), "records": [{"id": n, "name": f"Jack {n} 😀"} for n in range(100_000)]},
             "references": [[1, {"deep": [None, 1.5, True]}]]}  # fmt: skip
    _, result = run("fn(state => { state.data.count = state.data.records.length; return state; });", state=state, limit=1000, timeout=600, timeout_ms=600_000)
    assert result["status"] == "success", result.get("error")
    assert result["state"]["data"].pop("count") == 100_000
    assert result["state"] == state


def test_credentials_are_in_neither_the_arguments_nor_the_environment_of_the_engine():
    run("fn(state => state);")
    pid = engine_pid()
    assert b"pw" not in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"password" not in Path(f"/proc/{pid}/environ").read_bytes()


def test_node_that_cannot_be_started_says_so(monkeypatch):
    client = EngineRun("/nonexistent/node", JS_DIR, memory_limit_mb=500, default_limit_mb=500)
    with pytest.raises(engine.EngineUnavailable, match=r"^\[Errno 2\] No such file or directory: '/nonexistent/node'$"):
        client.run(request("fn(state => state);"), timeout=10)
