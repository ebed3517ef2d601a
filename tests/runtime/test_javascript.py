"""The JavaScript runner with real Node and @openfn/runtime: state in and out, OpenFn's errors, logs as they
happen, timeouts that stop even a job that never yields, and credentials that stay out of argv/env.

What any JavaScript run does is tested on both engines (``engine``: warm and process); what only a run in
a process of its own does (its process group, its argv and environment) on that one (``process_engine``).
The warm engine's own behaviour (isolation, memory limits, a lost engine) is tested in tests/node."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time

import pytest

from openfn import settings
from openfn.errors import JobFailed
from openfn.runtime import javascript
from openfn.runtime.javascript import JavaScriptRunner
from openfn.runtime.runner import JobCode, run_job
from tests.adaptors.servers import ApiServer, Received, json_answer

COMMON = ("@openfn/language-common", "3.3.4")
HTTP = ("@openfn/language-http", "7.2.10")


def use_engine(monkeypatch, engine: str) -> None:
    chosen = dataclasses.replace(settings.get_settings(), js_engine=engine)
    monkeypatch.setattr(settings, "get_settings", lambda: chosen)


@pytest.fixture(params=["warm", "process"])
def engine(request, monkeypatch) -> str:
    use_engine(monkeypatch, request.param)
    return request.param


@pytest.fixture
def process_engine(monkeypatch) -> None:
    use_engine(monkeypatch, "process")


def code(expression: str, adaptor=COMMON, timeout: float = 60.0, key: str = "job") -> JobCode:
    return JobCode(project="p", key=key, language="javascript", adaptor=adaptor[0].rsplit("-", 1)[-1],
                   expression=expression, adaptor_package=adaptor[0], adaptor_version=adaptor[1], timeout=timeout)  # fmt: skip


def run(expression: str, state: dict | None = None, configuration: dict | None = None, **kwargs) -> dict:
    return run_job(JavaScriptRunner(), code(expression, **kwargs), state or {"data": {}, "references": []}, configuration)


def test_the_final_state_comes_back_without_configuration(engine):
    final = run(
        "fn(state => { state.data.n += 1; state.seen = state.configuration.user; return state; });",
        {"data": {"n": 1}, "references": [], "request": {"message_id": "m1"}},
        {"user": "ana", "password": "pw"},
    )
    assert final == {"data": {"n": 2}, "references": [], "request": {"message_id": "m1"}, "seen": "ana"}


def test_a_failing_job_raises_with_its_state_and_openfns_errors(engine):
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: JobError: no patient$") as info:
        run("fn(state => { state.data.step = 1; return state; });\nfn(state => { throw new Error('no patient'); });", {"data": {}})
    assert info.value.error_type == "JobError"
    assert info.value.state == {
        "data": {"step": 1},
        "errors": {"job": {"source": "runtime", "name": "JobError", "severity": "fail", "message": "no patient"}},
    }


def test_a_type_error_names_the_line_the_user_wrote(engine):
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: RuntimeError: TypeError: Cannot read properties of undefined \(reading 'x'\) \(line 3, column \d+\)$"):
        run("fn(state => state);\n\nfn(state => state.data.nope.x);")


def test_a_job_that_does_not_compile_is_a_crash_naming_line_and_column(engine):
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: CompileError: Syntax error: Unexpected token \(line 2, column 1\)\. Correct the JavaScript at that position\.$") as info:
        run("fn(state => state);\n)")
    assert info.value.error_type == "CompileError"
    assert info.value.state == {"data": {}, "references": []}


def test_a_job_cannot_import_node_modules(engine):
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: ImportError: module blacklisted: fs"):
        run("import { readFileSync } from 'fs';\nfn(state => state);")


def test_a_job_that_never_resolves_is_stopped_by_the_runtime_at_its_timeout(engine):
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: TimeoutError: Job took longer than 1000ms to complete$"):
        run("fn(() => new Promise(() => {}));", timeout=1)


def test_a_job_that_never_yields_is_killed_with_its_process_group(monkeypatch, process_engine):
    monkeypatch.setattr(javascript, "KILL_AFTER_SECONDS", 1.0)
    runner = JavaScriptRunner()
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: the job ran for more than 1 s and was stopped$") as info:
        run_job(runner, code("fn(state => { while (true) {} });", timeout=1), {"data": {}}, None)
    assert info.value.error_type == "TimeoutError"
    with pytest.raises(ProcessLookupError):
        os.killpg(runner.process.process.pid, 0)


def test_kill_stops_a_run_in_progress(process_engine):
    runner = JavaScriptRunner()
    threading.Timer(1.0, runner.kill).start()
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: Node\.js exited with status -15 without a result"):
        run_job(runner, code("fn(state => { while (true) {} });"), {"data": {}}, None)
    with pytest.raises(ProcessLookupError):
        os.killpg(runner.process.process.pid, 0)


def test_logs_reach_the_task_log_as_they_happen(caplog, process_engine):
    caplog.set_level(logging.DEBUG, logger="openfn.job")
    runner = JavaScriptRunner()
    still_running = []

    def watch():  # once the first line is in the log, the job is still waiting: then stop it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any("[JOB] ℹ first" in record.getMessage() for record in list(caplog.records)):
                still_running.append(runner.process.process.poll() is None)
                runner.kill()
                return
            time.sleep(0.05)

    threading.Thread(target=watch).start()
    with pytest.raises(JobFailed):
        run_job(runner, code("fn(state => { console.log('first', { a: 1 }); console.warn('careful'); return state; });\n"
                        "fn(state => new Promise(done => setTimeout(() => done(state), 120000)));"), {"data": {}}, None)  # fmt: skip
    assert still_running == [True]  # streamed while the job ran, not collected at its end
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.INFO, '[JOB] ℹ first {\n  "a": 1\n}') in messages
    assert (logging.WARNING, "[JOB] ⚠ careful") in messages


def test_credentials_are_never_in_the_arguments_or_environment_of_node(caplog, process_engine):
    caplog.set_level(logging.DEBUG, logger="openfn.job")
    runner = JavaScriptRunner()
    found = {}

    def inspect():  # once the job is waiting, read what the kernel holds of the process, then stop it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("[JOB] ℹ waiting" in r.getMessage() for r in list(caplog.records)):
            time.sleep(0.05)
        pid = runner.process.process.pid
        found["cmdline"] = open(f"/proc/{pid}/cmdline", "rb").read()
        found["environ"] = open(f"/proc/{pid}/environ", "rb").read()
        runner.kill()

    threading.Thread(target=inspect).start()
    with pytest.raises(JobFailed):
        run_job(runner, code("fn(state => { console.log('waiting'); return new Promise(done => setTimeout(() => done(state), 120000)); });"),
                   {"data": {}}, {"password": "pw-91f3e"})  # fmt: skip
    assert found and b"pw-91f3e" not in found["cmdline"] and b"pw-91f3e" not in found["environ"]
    assert b"AIRFLOW" not in found["environ"]


def test_an_http_job_calls_the_server_its_credential_names(engine):
    def route(request: Received):
        return json_answer({"id": 7, "path": request.path})

    with ApiServer(route) as api:
        final = run("get('/patients/7');\nfn(state => { state.data.seen = true; return state; });",
                    configuration={"baseUrl": api.url, "username": "u", "password": "p"}, adaptor=HTTP)  # fmt: skip
    assert final["data"] == {"id": 7, "path": "/patients/7", "seen": True}
    assert final["response"]["statusCode"] == 200
    (received,) = api.received
    assert (received.method, received.path, received.basic_auth) == ("GET", "/patients/7", ("u", "p"))


def test_node_that_cannot_be_started_is_a_failure_saying_so(monkeypatch, engine):
    missing = dataclasses.replace(settings.get_settings(), node="/nonexistent/node")
    monkeypatch.setattr(settings, "get_settings", lambda: missing)
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: Node\.js \('/nonexistent/node'\) could not be started: .*No such file"):
        run("fn(state => state);")


def test_a_job_over_its_memory_limit_fails_as_a_job_failure_naming_the_limit(monkeypatch):
    use_engine(monkeypatch, "warm")
    hog = code("fn(state => { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); });")
    with pytest.raises(JobFailed, match=r"^Job 'job' failed: MemoryLimitExceeded: the run used more than its memory limit of 64 MB and was stopped\. Raise memory_limit_mb") as info:
        run_job(JavaScriptRunner(), dataclasses.replace(hog, memory_limit_mb=64), {"data": {"n": 1}}, None)
    assert info.value.error_type == "MemoryLimitExceeded"
    assert info.value.state == {"data": {"n": 1}}  # the state it started from: what its fail trigger hands on


def test_without_job_logs_the_jobs_and_adaptors_output_stays_out_of_the_log_and_the_runtimes_lines_stay(caplog, engine):
    caplog.set_level(logging.DEBUG, logger="openfn.job")
    quiet = dataclasses.replace(code("fn(state => { console.log('patient', state.data.name); return state; });\nlog('from the adaptor');"), job_logs=False)
    assert run_job(JavaScriptRunner(), quiet, {"data": {"name": "Amina Y."}}, None) == {"data": {"name": "Amina Y."}}
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "Amina" not in messages and "from the adaptor" not in messages and "[JOB]" not in messages and "[ADA]" not in messages
    assert "[R/T]" in messages  # the runtime's own lines: the job started and finished
    caplog.clear()
    run_job(JavaScriptRunner(), dataclasses.replace(quiet, job_logs=True), {"data": {"name": "Amina Y."}}, None)
    assert "[JOB] ℹ patient Amina Y." in "\n".join(record.getMessage() for record in caplog.records)


def test_without_job_logs_a_failure_is_still_reported_with_its_cause(caplog, engine):
    quiet = dataclasses.replace(code("fn(state => { console.log('secret'); throw new Error('no patient id'); });"), job_logs=False)
    with pytest.raises(JobFailed, match="no patient id"):
        run_job(JavaScriptRunner(), quiet, {"data": {}}, None)
    assert "secret" not in "\n".join(record.getMessage() for record in caplog.records)


def test_globals_exports_are_usable_by_the_job(engine):
    shared = dataclasses.replace(code("fn(state => ({ ...state, total: double(21) }));"), globals="export const double = (n) => n * 2;")
    assert run_job(JavaScriptRunner(), shared, {"data": {}}, None)["total"] == 42
