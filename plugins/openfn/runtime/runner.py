"""The one interface both job languages implement, and how the operator picks one.

A runner takes the job's code, its initial state and its credential's configuration; it returns the final
state, or raises JobFailed carrying the state at the failure; it streams the job's logs to the task log as
they happen and honours the job's timeout. The operator knows nothing else of either language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class JobCode:
    """What a task needs to run one job, taken from the project's typed model when the DAG is built."""

    project: str
    key: str
    language: Literal["python", "javascript"]
    adaptor: str  # the adaptor's short name ('http'): credential field names depend on it
    expression_file: str | None = None
    expression: str | None = None  # inline source (JavaScript)
    adaptor_package: str | None = None  # JavaScript: '@openfn/language-http'
    adaptor_version: str | None = None  # JavaScript: the installed version
    timeout: float = 300.0  # seconds
    workflow: str | None = None  # a step of this Lightning workflow

    @property
    def dag_id(self) -> str:
        return f"{self.project}.{self.workflow}" if self.workflow else f"{self.project}.{self.key}"


class Runner(Protocol):
    def run(self, code: JobCode, state: dict, configuration: dict | None) -> dict:
        """The final state; JobFailed (with ``.state``) when the job fails."""

    def kill(self) -> None:
        """Stop a run in progress (the task is being killed)."""


def runner_for(language: str) -> Runner:
    if language == "javascript":
        from openfn.runtime.javascript import JavaScriptRunner

        return JavaScriptRunner()
    from openfn.runtime.python import PythonRunner

    return PythonRunner()


# A JavaScript job is stopped by its runtime at its timeout and by the runner shortly after; Airflow's own
# execution timeout is the last resort. A Python job runs in the task process: Airflow's timeout is its.
AIRFLOW_MARGIN_SECONDS = {"python": 0.0, "javascript": 60.0}


def airflow_timeout(language: str, timeout: float) -> float:
    return timeout + AIRFLOW_MARGIN_SECONDS[language]
