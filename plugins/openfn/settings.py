"""Settings of the ``[openfn]`` config section, read once, with every default in one place."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

# plugins/openfn/settings.py -> repository root (the Docker image keeps the same layout under /opt/airflow).
REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULTS = {
    "jobs_dir": str(REPO_ROOT / "include" / "jobs"),
    "strict_mode": "False",
    "max_body_bytes": str(8 * 1024 * 1024),
    "max_depth": "64",
    "js_dir": str(REPO_ROOT / "js"),  # package.json + node_modules of the JavaScript runtime and adaptors
    "node": "node",  # the Node.js binary (>= 20.18) that runs JavaScript jobs
    "job_timeout_seconds": "300",  # a job without `timeout:` is stopped after this long (OpenFn's 5 minutes)
    # A run whose worker died (machine lost, OOM, kill -9) is started again this many times, after this
    # delay, on top of the job's own `retries` (which only count the job's own errors); 0: it stays failed.
    "lost_run_retries": "1",
    "lost_run_retry_delay_seconds": "10",
    # The address senders use for inbox URLs; empty: [api] base_url (see openfn/inbox/urls.py)
    "inbox_base_url": "",
}


@dataclass(frozen=True)
class Settings:
    jobs_dir: Path
    strict_mode: bool
    max_body_bytes: int
    max_depth: int
    js_dir: Path
    node: str
    job_timeout_seconds: float
    lost_run_retries: int
    lost_run_retry_delay_seconds: float
    inbox_base_url: str


def _get(name: str) -> str:
    from airflow.configuration import conf

    return conf.get("openfn", name, fallback=DEFAULTS[name])


@functools.cache
def get_settings() -> Settings:
    """The deployment's settings (``[openfn]`` section or ``AIRFLOW__OPENFN__*`` env), read once per process."""
    return Settings(
        jobs_dir=Path(_get("jobs_dir")).expanduser(),
        strict_mode=_get("strict_mode").strip().lower() in ("true", "1", "yes", "on"),
        max_body_bytes=int(_get("max_body_bytes")),
        max_depth=int(_get("max_depth")),
        js_dir=Path(_get("js_dir")).expanduser(),
        node=_get("node"),
        job_timeout_seconds=float(_get("job_timeout_seconds")),
        lost_run_retries=int(_get("lost_run_retries")),
        lost_run_retry_delay_seconds=float(_get("lost_run_retry_delay_seconds")),
        inbox_base_url=_get("inbox_base_url").strip(),
    )


# --- Inbox (SPEC §6-8): the dispatcher that turns accepted messages into DAG runs ------------------------------
INBOX_DEFAULTS = {
    "dispatcher": "True",  # False: this api-server stores messages but leaves creating DAG runs to others
    "dispatch_sweep_seconds": "5",  # look for pending runs at least this often (the inbox also wakes it)
    "dispatch_batch_size": "0",  # DAG runs created per transaction; 0: 20 on SQLite, 100 on PostgreSQL
}


@dataclass(frozen=True)
class InboxSettings:
    dispatcher: bool
    dispatch_sweep_seconds: float
    dispatch_batch_size: int


@functools.cache
def get_inbox_settings() -> InboxSettings:
    from airflow.configuration import conf

    def get(name: str) -> str:
        return conf.get("openfn", name, fallback=INBOX_DEFAULTS[name])

    return InboxSettings(
        dispatcher=get("dispatcher").strip().lower() in ("true", "1", "yes", "on"),
        dispatch_sweep_seconds=float(get("dispatch_sweep_seconds")),
        dispatch_batch_size=int(get("dispatch_batch_size")),
    )
# --- end inbox ----------------------------------------------------------------------------------------------------
