"""The one contract both step languages implement, and how the operator picks one.

``run_step(code, input, edges) -> StepOutcome``: a runner takes a step's code, its input (state and its
credential's configuration) and the edges around it (the trigger edge to evaluate before it runs, the
outgoing edges to evaluate on its output); it streams the step's logs to the task log as they happen,
honours the step's timeout, and says what happened. A v1 job is a step without edges (``run_job``). The
operator knows nothing else of either language; adding one is one module named in ``RUNNERS``.

This module imports no runner: each runner imports it, and ``runner_for`` imports the runner it names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openfn.errors import JobFailed

# Language -> "module:class". Imported when a step of that language runs, not before.
RUNNERS = {
    "python": "openfn.runtime.python:PythonRunner",
    "javascript": "openfn.runtime.javascript:JavaScriptRunner",
}

# What a step's run ends as: success; failure (OpenFn's severity ``fail``); skipped (its trigger edge did not
# hold); crash (it could not run, or was stopped).
SUCCESS, FAILURE, SKIPPED, CRASH = "success", "failure", "skipped", "crash"


@dataclass(frozen=True)
class JobCode:
    """What a task needs to run one step, taken from the project's typed model when the DAG is built."""

    project: str
    key: str
    language: Literal["python", "javascript"]
    adaptor: str  # the adaptor's short name ('http'): credential field names depend on it
    expression_file: str | None = None
    expression: str | None = None  # inline source (JavaScript)
    adaptor_package: str | None = None  # JavaScript: '@openfn/language-http'
    adaptor_version: str | None = None  # JavaScript: the installed version
    timeout: float = 300.0  # seconds
    memory_limit_mb: int | None = None  # JavaScript: the run's memory limit (None: [openfn] run_memory_limit_mb)
    workflow: str | None = None  # a step of this Lightning workflow
    job_logs: bool = True  # False: the job's own output (its console, its adaptor's lines) is not logged
    globals: str | None = None  # JavaScript: source whose exports the job can use (@openfn/runtime's workflow.globals)

    @property
    def dag_id(self) -> str:
        return f"{self.project}.{self.workflow}" if self.workflow else f"{self.project}.{self.key}"


@dataclass(frozen=True)
class StepInput:
    """The state a step starts from, its credential's configuration (never handed on), the state keys
    its output never carries (``remove``), and how it reaches its project's collections (called only when
    the step uses them: ``{"endpoint", "token"}``, see collections_access.py)."""

    state: dict
    configuration: dict | None = None
    remove: tuple[str, ...] = ("configuration",)
    collections: Callable[[], dict[str, str]] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Edges:
    """``trigger``: (placeholder id, condition) evaluated on the input before the step runs; ``next``:
    target -> condition, evaluated on the output. Conditions are written as @openfn/runtime's plans write
    them: True, 'on_job_success', 'on_job_failure', JavaScript, or {'disabled': True}."""

    trigger: tuple[str, Any] | None = None
    next: Mapping[str, Any] = field(default_factory=dict)


NO_EDGES = Edges()


@dataclass(frozen=True)
class StepOutcome:
    """What a step's run ended as (see SUCCESS ...); ``next``: the targets whose edges held; ``failure``: the
    job's own exception when the runner has one (a Python job's names its operation)."""

    status: str
    state: dict | None = None
    next: tuple[str, ...] = ()
    error: dict | None = None
    reason: str = ""
    failure: JobFailed | None = field(default=None, compare=False, repr=False)

    @property
    def error_type(self) -> str:
        if self.failure is not None:
            return self.failure.error_type
        return str((self.error or {}).get("type") or ("TimeoutError" if "was stopped" in self.reason else "RuntimeCrash"))


class Runner(Protocol):
    def run_step(self, code: JobCode, input: StepInput, edges: Edges = NO_EDGES) -> StepOutcome:
        """How the step's run ended; never raises for the step's own failure."""

    def kill(self) -> None:
        """Stop a run in progress (the task is being killed)."""


def runner_for(language: str) -> Runner:
    try:
        module, _, name = RUNNERS[language].partition(":")
    except KeyError:
        raise ValueError(f"language must be one of {', '.join(RUNNERS)}, got {language!r}") from None
    return getattr(importlib.import_module(module), name)()


def run_job(runner: Runner, code: JobCode, state: dict, configuration: dict | None,
            collections: Callable[[], dict[str, str]] | None = None) -> dict:  # fmt: skip
    """A v1 job's run: the final state, or JobFailed carrying the state at the failure."""
    outcome = runner.run_step(code, StepInput(state=state, configuration=configuration, collections=collections))
    if outcome.status == SUCCESS:
        return outcome.state or {}
    failure = outcome.failure or JobFailed(code.key, None, None, outcome.reason, error_type=outcome.error_type)
    if failure.state is None:
        failure.state = outcome.state if outcome.state is not None else state
    raise failure


# A JavaScript job is stopped by its runtime at its timeout and by the runner shortly after; Airflow's own
# execution timeout is the last resort. A Python job runs in the task process: Airflow's timeout is its.
AIRFLOW_MARGIN_SECONDS = {"python": 0.0, "javascript": 60.0}


def airflow_timeout(language: str, timeout: float) -> float:
    return timeout + AIRFLOW_MARGIN_SECONDS[language]
