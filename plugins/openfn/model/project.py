"""The typed model of a project: what project.yaml means once every reference has been checked."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from openfn.errors import ProjectError
from openfn.model.workflow import Step, Workflow


@dataclass(frozen=True)
class MessageTrigger:
    """Message filter: runs when an inbox message contains ``inclusion`` and does not contain ``exclusion``.

    ``reply``: ``before_start`` answers the sender at once (202); ``after_completion`` holds the request
    until the run has finished (and, with ``reply_after_flow``, the flow and fail runs it starts) and answers
    with the result, as a Lightning webhook trigger does (``success_code``/``error_code``: its statuses)."""

    key: str
    inclusion: Any
    exclusion: Any = None
    kind: Literal["message"] = "message"
    reply: Literal["before_start", "after_completion"] = "before_start"
    success_code: int | None = None
    error_code: int | None = None
    reply_after_flow: bool = False


@dataclass(frozen=True)
class CronTrigger:
    """Cron schedule (5 fields) in ``timezone``; state is carried from one successful run to the next.

    In a Lightning workflow it may be disabled, and ``cursor_step`` names the step whose last successful
    output starts the next run (None: the workflow's last successful final output)."""

    key: str
    cron: str
    timezone: str = "UTC"
    kind: Literal["cron"] = "cron"
    enabled: bool = True
    cursor_step: str | None = None


@dataclass(frozen=True)
class FlowTrigger:
    """Runs after ``upstream`` (a job key) succeeds, starting from its final state."""

    key: str
    upstream: str
    kind: Literal["flow"] = "flow"


@dataclass(frozen=True)
class FailTrigger:
    """Runs after ``upstream`` (a job key) fails, starting from its state at failure, with ``errors``."""

    key: str
    upstream: str
    kind: Literal["fail"] = "fail"


Trigger = Union[MessageTrigger, CronTrigger, FlowTrigger, FailTrigger]


@dataclass(frozen=True)
class Credential:
    """A credential key of project.yaml, backed by the Airflow Connection ``conn_id``.

    ``values`` names the fields that still hold values in the file (an OpenFn export carries them), and
    ``values_file`` a file the export points at instead: they are never used; ``make credentials`` moves
    them into the Connection.
    """

    key: str
    conn_id: str
    values: tuple[str, ...] = ()
    values_file: str | None = None  # 'file://creds.json': OpenFn v1's credential kept in a file
    name: str | None = None  # descriptive fields of a Lightning export, kept to export it back
    owner: str | None = None


@dataclass(frozen=True)
class InboxConfig:
    """Optional sender authentication; the secrets live in Airflow (Variables / Connections), not here."""

    auth: tuple[str, ...] = ()
    api_key_variable: str = ""
    basic_conn_id: str = ""
    retention_days: int | None = None  # inbox.retention_days: delete messages after N days (None: the global default)


@dataclass(frozen=True)
class Project:
    name: str
    folder: Path
    file: Path
    jobs: dict[str, Step]  # v1 jobs: each the one step of its own workflow, linked to others by its trigger
    triggers: dict[str, Trigger]
    credentials: dict[str, Credential]
    inbox: InboxConfig = field(default_factory=InboxConfig)
    notify_email: tuple[str, ...] = ()
    # Problems that stop some jobs from running, not the project from loading (shown with import errors).
    problems: tuple[ProjectError, ...] = ()
    # What was read and changed on the way, with nothing stopped (a Kafka trigger loaded as a disabled webhook,
    # a key this product does not run): logged at WARNING and shown on the projects page.
    warnings: tuple[ProjectError, ...] = ()
    # Lightning workflows (one DAG each): a Lightning project's only content; a v1 project may hold some too.
    workflows: dict[str, Workflow] = field(default_factory=dict)
    kind: Literal["v1", "lightning"] = "v1"
    title: str | None = None  # Lightning's display name of the project
    description: str | None = None
    collections: tuple[str, ...] = ()  # the collections the project file declares (``collections:``)

    def downstream(self, job_key: str, kind: Literal["flow", "fail"]) -> list[Step]:
        """Jobs started by ``job_key``'s success (``flow``) or failure (``fail``), in file order."""
        return self._chains.get((job_key, kind), [])

    @functools.cached_property
    def _chains(self) -> dict[tuple[str, str], list[Step]]:
        chains: dict[tuple[str, str], list[Step]] = {}
        for job in self.jobs.values():
            if job.trigger.kind in ("flow", "fail"):
                chains.setdefault((job.trigger.upstream, job.trigger.kind), []).append(job)  # type: ignore[union-attr]
        return chains

    def message_jobs(self) -> list[Step]:
        return [job for job in self.jobs.values() if job.trigger.kind == "message"]
