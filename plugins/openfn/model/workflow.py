"""The typed model of a Lightning workflow: steps (jobs), triggers and the edges between them.

Keys are Airflow ids (see _names.py); ``name`` keeps what the export wrote. Everything here has been
checked: every edge names existing steps, a trigger edge names an existing trigger, no cycle exists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from openfn.model.project import CronTrigger, Credential, Trigger

CONDITIONS = ("always", "on_job_success", "on_job_failure", "js_expression")


@dataclass(frozen=True)
class WebhookTrigger:
    """A webhook: its own inbox URL; each message it accepts is one run of the workflow (a work order).

    ``reply``: ``before_start`` answers at once (202, as the project inbox does); ``after_completion``
    holds the request until the run has finished."""

    key: str
    enabled: bool = True
    reply: Literal["before_start", "after_completion"] = "before_start"
    success_code: int | None = None
    error_code: int | None = None
    kind: Literal["webhook"] = "webhook"


@dataclass(frozen=True)
class Edge:
    """``source`` (a step, or a trigger when ``from_trigger``) -> ``target`` (a step), under ``condition``."""

    source: str
    target: str
    condition: str  # one of CONDITIONS
    from_trigger: bool = False
    expression: str | None = None  # js_expression: JavaScript over the upstream's state
    label: str | None = None
    enabled: bool = True

    @property
    def runtime_condition(self) -> bool | str | dict:
        """The edge as @openfn/runtime's execution plans write it."""
        if not self.enabled:
            return {"disabled": True}
        if self.condition == "always":
            return True
        return self.expression if self.condition == "js_expression" else self.condition


@dataclass(frozen=True)
class Step:
    """One unit of code: a step of a Lightning workflow (one task of the workflow's DAG, task id = ``key``), or
    a v1 job, which is the one step of its own workflow (``workflow == key``; its DAG's task is ``run``) and
    carries what links its DAG to others: its ``trigger`` (message, cron, flow or fail), ``autoprocess``,
    ``enabled`` and its own retries."""

    workflow: str
    key: str
    name: str
    adaptor: str  # normalised: '@openfn/language-http@7.2.10' -> 'http'
    adaptor_version: str | None
    expression: str | None = None  # inline source (JavaScript)
    expression_file: Path | None = None  # or a file next to the project file (.js, or .py: a Python step)
    credential: Credential | None = None
    timeout: float = 300.0  # seconds; the run is stopped after this long
    memory_limit_mb: int | None = None  # a JavaScript run above this fails ([openfn] run_memory_limit_mb if None)
    adaptor_package: str | None = None  # JavaScript: the npm package, resolved as readers/_javascript.py says
    adaptor_installed: str | None = None  # JavaScript: the installed version it runs with
    problem: str | None = None  # why it cannot run, with the fix: its runs fail at once saying so
    where: str = ""  # its key path in the file, for messages (e.g. workflows.intake.jobs.fetch-case, jobs.register)
    source_key: str = ""  # its key in the file, as written (kept to write the project back)
    language: Literal["python", "javascript"] = "javascript"
    project: str = ""
    # A v1 job's own settings (a Lightning step has no trigger of its own: its workflow's edges start it).
    trigger: Trigger | None = None
    autoprocess: bool = True
    enabled: bool = True
    retries: int = 0
    retry_delay_seconds: float = 300.0
    # Lightning's `enable_job_logs: false` on its workflow: the job's own output (console, adaptor lines) is
    # kept out of task logs; the runtime's own lines (started, finished, errors) stay.
    job_logs: bool = True
    globals: str | None = None  # JavaScript: source whose exports the step's code can use (Lightning's `globals`)

    @property
    def dag_id(self) -> str:
        return f"{self.project}.{self.workflow}"


@dataclass(frozen=True)
class Workflow:
    project: str
    key: str
    name: str
    steps: dict[str, Step]
    triggers: dict[str, WebhookTrigger | CronTrigger]
    edges: tuple[Edge, ...]
    source_key: str = ""  # its key in the file, as written
    concurrency: int | None = None  # Lightning's `concurrency`: at most this many runs at once, the others wait
    job_logs: bool = True  # Lightning's `enable_job_logs` (each step carries it too)

    @property
    def dag_id(self) -> str:
        return f"{self.project}.{self.key}"

    def incoming(self, step: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.target == step]

    def outgoing(self, step: str) -> list[Edge]:
        return [edge for edge in self.edges if not edge.from_trigger and edge.source == step]

    @functools.cached_property
    def cron(self) -> CronTrigger | None:
        """The cron trigger that schedules this workflow (enabled), if any."""
        return next((t for t in self.triggers.values() if t.kind == "cron" and t.enabled), None)

    @property
    def webhooks(self) -> list[WebhookTrigger]:
        return [t for t in self.triggers.values() if t.kind == "webhook"]
