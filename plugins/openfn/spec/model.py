"""The typed model of a project: what project.yaml means once every reference has been checked."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union


@dataclass(frozen=True)
class MessageTrigger:
    """Message filter: runs when an inbox message contains ``inclusion`` and does not contain ``exclusion``."""

    key: str
    inclusion: Any
    exclusion: Any = None
    kind: Literal["message"] = "message"


@dataclass(frozen=True)
class CronTrigger:
    """Cron schedule (5 fields) in ``timezone``; state is carried from one successful run to the next."""

    key: str
    cron: str
    timezone: str = "UTC"
    kind: Literal["cron"] = "cron"


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
    """A credential key of project.yaml, backed by the Airflow Connection ``conn_id``."""

    key: str
    conn_id: str


@dataclass(frozen=True)
class Job:
    project: str
    key: str
    adaptor: str  # normalised: '@openfn/language-http@1.2' -> 'http'
    adaptor_version: str | None
    trigger: Trigger
    language: Literal["python", "javascript"]
    expression_file: Path | None  # None for inline (JavaScript) expressions
    credential: Credential | None = None
    autoprocess: bool = True
    enabled: bool = True
    retries: int = 0
    retry_delay_seconds: float = 300.0

    @property
    def dag_id(self) -> str:
        return f"{self.project}.{self.key}"


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
    jobs: dict[str, Job]
    triggers: dict[str, Trigger]
    credentials: dict[str, Credential]
    inbox: InboxConfig = field(default_factory=InboxConfig)
    notify_email: tuple[str, ...] = ()

    def downstream(self, job_key: str, kind: Literal["flow", "fail"]) -> list[Job]:
        """Jobs started by ``job_key``'s success (``flow``) or failure (``fail``), in file order."""
        return self._chains.get((job_key, kind), [])

    @functools.cached_property
    def _chains(self) -> dict[tuple[str, str], list[Job]]:
        chains: dict[tuple[str, str], list[Job]] = {}
        for job in self.jobs.values():
            if job.trigger.kind in ("flow", "fail"):
                chains.setdefault((job.trigger.upstream, job.trigger.kind), []).append(job)  # type: ignore[union-attr]
        return chains

    def message_jobs(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.trigger.kind == "message"]
