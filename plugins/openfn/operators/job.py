"""``OpenFnJobOperator``: an OpenFn job as a task of a hand-written DAG, in either language.

JavaScript: ``expression`` is the job's code and ``adaptor`` its adaptor with an installed version
(``"@openfn/language-http@7.2.10"``, ``"http@7.2.10"``, or ``"http"`` for the newest installed), run by
``@openfn/runtime`` as a project's JavaScript job is. Python: ``expression_file`` is a module defining
``operations`` (SPEC §4; a relative path is read from ``[openfn] jobs_dir``) and ``adaptor`` the Python
adaptor's name, for its credential's field names.

The input state is ``state`` (templated), else the ``return_value`` XCom of ``input_task_id`` (an upstream
task: an inbox sensor's message becomes ``data``, another job's final state is taken as it is), else, in a
run started by an inbox asset, the triggering message (its body as ``data``), else an empty state, or, with ``carry_state=True``, this task's last successful final state (the Variable
``openfn.state.<dag_id>.<task_id>``, with a cron job's size limits). ``conn_id`` names the Airflow
Connection that becomes ``state.configuration``, its secrets masked in logs and never handed on. The final
state is the XCom ``return_value``; a failed job fails the task and pushes ``failed_state`` (the state at
the failure, with ``errors``). ``timeout`` (default ``[openfn] job_timeout_seconds``) and
``memory_limit_mb`` are as on a project's job.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from openfn.errors import JobFailed, OpenFnError
from openfn.runs import FAILED_STATE_KEY
from openfn.runtime import saved_state
from openfn.runtime.credentials import configuration
from openfn.runtime.priority import lower_priority
from openfn.runtime.runner import JobCode, airflow_timeout, run_job, runner_for
from openfn.runtime.state import MAX_BYTES, WARN_BYTES, empty_state, initial_state, public_state, state_size
from openfn.settings import get_settings

ADAPTOR = re.compile(r"^(?:@openfn/language-)?([a-z0-9][a-z0-9-]*)(?:@(.+))?$")


class JobArgumentError(OpenFnError, ValueError):
    """An ``OpenFnJobOperator`` that cannot run as written (raised when the DAG file is parsed)."""


class OpenFnJobOperator(BaseOperator):
    template_fields = ("state",)
    template_fields_renderers = {"state": "json"}
    ui_color = "#e8f0fe"

    def __init__(self, *, expression: str | None = None, expression_file: str | None = None, adaptor: str = "common",
                 conn_id: str | None = None, state: dict | None = None, input_task_id: str | None = None,
                 carry_state: bool = False, timeout: float | None = None, memory_limit_mb: int | None = None,
                 **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        where = f"OpenFnJobOperator {self.task_id!r}"
        if (expression is None) == (expression_file is None):
            raise JobArgumentError(f"{where}: give either expression (a JavaScript job) or expression_file (a Python job), not {'both' if expression else 'neither'}.",
                                   fix="pass expression='get(\"/patients\")' with adaptor='@openfn/language-http@<version>', or expression_file='my_job.py'.")  # fmt: skip
        if state is not None and input_task_id is not None:
            raise JobArgumentError(f"{where}: give state or input_task_id, not both.", fix="the input state comes from one of them.")
        name, version = _adaptor(adaptor, where)
        settings = get_settings()
        timeout = float(timeout if timeout is not None else settings.job_timeout_seconds)
        if timeout <= 0:
            raise JobArgumentError(f"{where}: timeout must be a positive number of seconds, not {timeout!r}.", fix="pass e.g. timeout=300.")
        if expression is not None:
            self.code = _javascript(self.task_id, expression, name, version, timeout, memory_limit_mb, where)
        else:
            self.code = _python(self.task_id, expression_file, name, timeout, where)
        if self.execution_timeout is None:
            import datetime

            self.execution_timeout = datetime.timedelta(seconds=airflow_timeout(self.code.language, timeout))
        self.conn_id = conn_id
        self.state = state
        self.input_task_id = input_task_id
        self.carry_state = carry_state

    def execute(self, context) -> dict:
        lower_priority(get_settings().task_nice)
        code = dataclasses.replace(self.code, project=self.dag_id)
        key = f"{self.dag_id}.{self.task_id}"
        state = self._input(context, key)
        try:
            config = configuration(self.conn_id, code.adaptor) if self.conn_id else None
        except Exception as error:  # a missing or unreadable Connection: the job's failure, said plainly
            raise JobFailed(self.task_id, None, None, f"the Airflow Connection {self.conn_id!r} cannot be read ({type(error).__name__}: {error}); "
                            "create it under Admin > Connections", error_type="CredentialError") from error  # fmt: skip
        try:
            final = public_state(run_job(runner_for(code.language), code, state, config))
        except JobFailed as error:
            failed = public_state(error.state if error.state is not None else state)
            failed.setdefault("errors", {})
            if isinstance(failed["errors"], dict):
                failed["errors"][self.task_id] = {"type": error.error_type, "message": str(error)}
            context["ti"].xcom_push(key=FAILED_STATE_KEY, value=failed)
            raise
        if self.carry_state:
            saved_state.save(key, final)
        else:
            _warn_size(self.log, final)
        return final

    def _input(self, context, key: str) -> dict:
        if self.state is not None:
            return _as_state(self.state, f"the state argument of {self.task_id!r}")
        if self.input_task_id is not None:
            upstream = context["ti"].xcom_pull(task_ids=self.input_task_id)
            if isinstance(upstream, dict) and {"message_id", "body"} <= upstream.keys():  # an inbox sensor's message
                return _message_state(upstream)
            return _as_state(upstream, f"the return_value XCom of {self.input_task_id!r}")
        message = _inbox_asset_message(context)
        if message is not None:
            return message
        if self.carry_state:
            return saved_state.load(key) or empty_state()
        return empty_state()


def _inbox_asset_message(context) -> dict | None:
    """The message of the inbox asset event that started this run, as the state a message run starts from."""
    events = context.get("triggering_asset_events") or {}
    for asset_events in events.values():
        for event in asset_events:
            payload = (getattr(event, "extra", None) or {}).get("payload")
            if isinstance(payload, dict) and "message_id" in payload and "body" in payload:
                return _message_state(payload)
    return None


def _message_state(message: dict) -> dict:
    """An inbox message (a sensor's XCom, an asset event's payload) as the state its job starts from."""
    return {**empty_state(), "data": message["body"], "message_id": message["message_id"]}


def _as_state(value: Any, what: str) -> dict:
    if value is None:
        return empty_state()
    if not isinstance(value, dict):
        raise JobFailed("input", None, None, f"{what} must be a JSON object (a state), not {type(value).__name__}", error_type="InputError")
    return initial_state({"state": value})  # a copy with data and references, without configuration


def _warn_size(log, state: dict) -> None:
    size = state_size(state)
    if size > WARN_BYTES:
        log.warning("Final state is %d bytes, over %d bytes (a cron job stops saving its state above %d). "
                    "Clear state.references / state.data in a last operation.", size, WARN_BYTES, MAX_BYTES)  # fmt: skip


def _adaptor(adaptor: str, where: str) -> tuple[str, str | None]:
    match = ADAPTOR.match(adaptor.strip()) if isinstance(adaptor, str) else None
    if match is None:
        raise JobArgumentError(f"{where}: adaptor {adaptor!r} is not an adaptor name.",
                               fix="write it as '@openfn/language-http@7.2.10', 'http@7.2.10' or 'http'.")  # fmt: skip
    return match.group(1), match.group(2)


def _javascript(key: str, expression: str, name: str, version: str | None, timeout: float, memory_limit_mb: int | None, where: str) -> JobCode:
    from openfn.node import install

    if not isinstance(expression, str) or not expression.strip():
        raise JobArgumentError(f"{where}: expression is empty.", fix="pass the job's JavaScript, e.g. expression=\"get('/patients')\".")
    found = install.resolve(get_settings().js_dir, name, version)
    if found.problem:
        raise JobArgumentError(f"{where}: {found.problem}.", fix=found.fix or "")
    return JobCode(project="", key=key, language="javascript", adaptor=name, expression=expression, adaptor_package=found.package,
                   adaptor_version=found.version, timeout=timeout, memory_limit_mb=memory_limit_mb)  # fmt: skip


def _python(key: str, expression_file: str, name: str, timeout: float, where: str) -> JobCode:
    path = Path(expression_file).expanduser()
    if not path.is_absolute():
        path = get_settings().jobs_dir / path
    if not path.is_file():
        raise JobArgumentError(f"{where}: the Python job {str(path)!r} does not exist.",
                               fix="pass expression_file as an absolute path, or relative to [openfn] jobs_dir.")  # fmt: skip
    return JobCode(project="", key=key, language="python", adaptor=name, expression_file=str(path), timeout=timeout)
