"""Settings of the ``[openfn]`` config section, read once, with every default in one place."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

# plugins/openfn/settings.py -> repository root (the Docker image keeps the same layout under /opt/airflow).
REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent


def from_checkout() -> bool:
    """True when this package is the ``plugins/openfn`` folder of a repository checkout (``make run``, the
    repository's Docker image), False when it is installed (``pip install openfn-airflow``)."""
    return PACKAGE_DIR == REPO_ROOT / "plugins" / "openfn" and (REPO_ROOT / "js" / "package.json").is_file()


def airflow_home() -> Path:
    """Airflow's home folder, found as Airflow finds it (``AIRFLOW_HOME``, else ~/airflow)."""
    return Path(os.environ.get("AIRFLOW_HOME") or "~/airflow").expanduser()


def _default_dirs() -> tuple[Path, Path]:
    """(jobs_dir, js_dir) when the settings leave them out: the checkout's include/jobs and js/, or for an
    installed package $AIRFLOW_HOME/include/jobs and $AIRFLOW_HOME/openfn/js (where `openfn-airflow js
    install` puts the JavaScript runtime: a folder the workers can write to)."""
    if from_checkout():
        return REPO_ROOT / "include" / "jobs", REPO_ROOT / "js"
    return airflow_home() / "include" / "jobs", airflow_home() / "openfn" / "js"


DEFAULTS = {
    "jobs_dir": str(_default_dirs()[0]),
    "strict_mode": "False",
    "max_body_bytes": str(8 * 1024 * 1024),
    "max_depth": "64",
    "js_dir": str(_default_dirs()[1]),  # package.json + node_modules of the JavaScript runtime and adaptors
    "node": "node",  # the Node.js binary (>= 20.18) that runs JavaScript jobs
    "job_timeout_seconds": "300",  # a job without `timeout:` is stopped after this long (OpenFn's 5 minutes)
    # warm: JavaScript runs go to one long-lived engine per host (js/src/engine.mjs), each in a thread of its
    # own; process: one Node.js process per run (slower to start, nothing shared at all).
    "js_engine": "warm",
    "run_memory_limit_mb": "500",  # a run above this fails, naming the limit (`memory_limit_mb:` per job/step)
    # How much lower than Airflow's own processes (the api-server that answers senders) a job's task runs,
    # in nice steps (0-19), with the Node.js it starts: a busy machine answers senders first. 0: unchanged.
    "task_nice": "10",
    # A run whose worker died (machine lost, OOM, kill -9) is started again this many times, after this
    # delay, on top of the job's own `retries` (which only count the job's own errors); 0: it stays failed.
    "lost_run_retries": "1",
    "lost_run_retry_delay_seconds": "10",
    # Celery: the queue of the tasks whose runs a sender waits for (webhook_reply: after_completion), which every
    # worker must also consume (`airflow celery worker --queues default,<it>`); empty: the default queue.
    "waiting_sender_queue": "",
    # The address senders use for inbox URLs; empty: [api] base_url (see openfn/inbox/urls.py)
    "inbox_base_url": "",
    # Where inbox sensors and inbox assets (triggerer, workers) reach the api-server's watch API; empty: [api] base_url
    "watch_api_url": "",
    # How often an inbox asset's trigger asks for the next matching message (an inbox sensor: its poke_interval)
    "watch_interval_seconds": "0.5",
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
    js_engine: str
    run_memory_limit_mb: int
    task_nice: int
    lost_run_retries: int
    lost_run_retry_delay_seconds: float
    inbox_base_url: str
    watch_api_url: str
    watch_interval_seconds: float
    waiting_sender_queue: str = ""


def _get(name: str) -> str:
    from airflow.configuration import conf

    return conf.get("openfn", name, fallback=DEFAULTS[name])


def _engine(value: str) -> str:
    engine = value.strip().lower()
    if engine not in ("warm", "process"):
        from openfn.errors import OpenFnError

        raise OpenFnError(f"[openfn] js_engine must be 'warm' or 'process', not {value!r}")
    return engine


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
        js_engine=_engine(_get("js_engine")),
        run_memory_limit_mb=max(16, int(_get("run_memory_limit_mb"))),
        task_nice=min(19, max(0, int(_get("task_nice")))),
        lost_run_retries=int(_get("lost_run_retries")),
        lost_run_retry_delay_seconds=float(_get("lost_run_retry_delay_seconds")),
        inbox_base_url=_get("inbox_base_url").strip(),
        watch_api_url=_get("watch_api_url").strip(),
        watch_interval_seconds=float(_get("watch_interval_seconds")),
        waiting_sender_queue=_get("waiting_sender_queue").strip(),
    )


# --- Inbox (SPEC §6-8): the dispatcher that turns accepted messages into DAG runs ------------------------------
INBOX_DEFAULTS = {
    "dispatcher": "True",  # False: this api-server stores messages but leaves creating DAG runs to others
    "dispatch_sweep_seconds": "5",  # look for pending runs at least this often (the inbox also wakes it)
    "dispatch_batch_size": "0",  # DAG runs created per transaction; 0: 20 on SQLite, 100 on PostgreSQL
    # How far in the past a message run's run_after is set, so the scheduler starts it at its next loop (0:
    # Airflow's own "now", which SQLite's whole-second clock holds back by up to a second; see dispatcher.py).
    "run_after_lead_seconds": "1",
    "reply_timeout_seconds": "30",  # how long a reply-after-completion request waits for its result at most
    "reply_poll_seconds": "0.1",  # how often an api-server looks for the results its waiting requests need
    # The dispatcher creates bulk runs (no sender waiting) only while Airflow has fewer queued DAG runs than
    # this; runs a sender waits for are created at once. Empty: twice [core] parallelism, at least 32; 0: no limit.
    "max_queued_runs": "",
}


@dataclass(frozen=True)
class InboxSettings:
    dispatcher: bool
    dispatch_sweep_seconds: float
    dispatch_batch_size: int
    reply_timeout_seconds: float = 30.0
    reply_poll_seconds: float = 0.1
    run_after_lead_seconds: float = 1.0
    max_queued_runs: int = 0


def _max_queued_runs(value: str, parallelism: int) -> int:
    return max(0, int(value)) if value.strip() else max(32, 2 * parallelism)


@functools.cache
def get_inbox_settings() -> InboxSettings:
    from airflow.configuration import conf

    def get(name: str) -> str:
        return conf.get("openfn", name, fallback=INBOX_DEFAULTS[name])

    return InboxSettings(
        dispatcher=get("dispatcher").strip().lower() in ("true", "1", "yes", "on"),
        dispatch_sweep_seconds=float(get("dispatch_sweep_seconds")),
        dispatch_batch_size=int(get("dispatch_batch_size")),
        reply_timeout_seconds=max(0.0, float(get("reply_timeout_seconds"))),
        reply_poll_seconds=min(5.0, max(0.02, float(get("reply_poll_seconds")))),
        run_after_lead_seconds=max(0.0, float(get("run_after_lead_seconds"))),
        max_queued_runs=_max_queued_runs(get("max_queued_runs"), conf.getint("core", "parallelism")),
    )
# --- end inbox ----------------------------------------------------------------------------------------------------


# --- Protection: stored headers, hostile input, failed logins, retention -------------------------------------------
LARGE_BODY_BYTES = 256 * 1024  # default of large_body_bytes, also for code that has no settings at hand
PROTECTION_DEFAULTS = {
    # Headers never stored with a message nor handed to its runs, besides Authorization, Proxy-Authorization,
    # X-API-Key and Cookie (always dropped): shell-style patterns on the lower-case name, comma-separated.
    "drop_headers": "*token*,*secret*,*key*,*auth*,*signature*,*password*,*cookie*,*session*",
    "keep_headers": "idempotency-key",  # exceptions to drop_headers (never to the four above)
    "large_body_bytes": str(LARGE_BODY_BYTES),  # bodies above this are streamed through the checks, not parsed whole
    "max_large_bodies": "2",  # bodies above 32 KiB in flight (read, checked, stored) at once per api-server
    "body_timeout_seconds": "60",  # a body must arrive within this; waiting for a slot counts too
    "auth_failures_per_minute": "30",  # failed token / API key / login attempts per client address
    "retention_days": "0",  # delete messages older than this many days (0: keep them); per project: inbox.retention_days
    "retention_sweep_seconds": "3600",  # how often each api-server deletes expired messages
    "retention_batch_size": "500",  # messages deleted per transaction
}


@dataclass(frozen=True)
class ProtectionSettings:
    drop_headers: tuple[str, ...]
    keep_headers: frozenset[str]
    large_body_bytes: int
    max_large_bodies: int
    body_timeout_seconds: float
    auth_failures_per_minute: int
    retention_days: int
    retention_sweep_seconds: float
    retention_batch_size: int


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


@functools.cache
def get_protection_settings() -> ProtectionSettings:
    from airflow.configuration import conf

    def get(name: str) -> str:
        return conf.get("openfn", name, fallback=PROTECTION_DEFAULTS[name])

    return ProtectionSettings(
        drop_headers=_names(get("drop_headers")),
        keep_headers=frozenset(_names(get("keep_headers"))),
        large_body_bytes=int(get("large_body_bytes")),
        max_large_bodies=max(1, int(get("max_large_bodies"))),
        body_timeout_seconds=float(get("body_timeout_seconds")),
        auth_failures_per_minute=int(get("auth_failures_per_minute")),
        retention_days=int(get("retention_days")),
        retention_sweep_seconds=float(get("retention_sweep_seconds")),
        retention_batch_size=max(1, int(get("retention_batch_size"))),
    )
# --- end protection -----------------------------------------------------------------------------------------------


# --- Collections: Lightning's key-value store, served by the api-server -------------------------------------------
COLLECTIONS_DEFAULTS = {
    "collections_max_body_bytes": str(10 * 1024 * 1024),  # one request's body (Lightning: 10 MB)
    "collections_default_limit": "1000",  # items one read returns when it names no limit (Lightning's default)
    "collections_page_rows": "500",  # rows one database query reads while a reply is streamed (Lightning's)
    "collections_max_key_chars": "255",  # a key's length (Lightning's column; at most 1000)
    "collections_max_value_chars": "1000000",  # one value's length in characters (Lightning's limit)
    # The address runs reach the collections API at; empty: [api] base_url, else the execution API's host
    "collections_url": "",
    # Signs the tokens runs use; empty: the Airflow Variable openfn_collections_secret (made once by the api-server)
    "collections_secret": "",
    "collections_token_grace_seconds": "600",  # a run's token outlives its step's timeout by this much at most
}


@dataclass(frozen=True)
class CollectionsSettings:
    max_body_bytes: int
    default_limit: int
    page_rows: int
    max_key_chars: int
    max_value_chars: int
    url: str
    secret: str
    token_grace_seconds: float


@functools.cache
def get_collections_settings() -> CollectionsSettings:
    from airflow.configuration import conf

    def get(name: str) -> str:
        return conf.get("openfn", name, fallback=COLLECTIONS_DEFAULTS[name])

    return CollectionsSettings(
        max_body_bytes=max(1024, int(get("collections_max_body_bytes"))),
        default_limit=max(1, int(get("collections_default_limit"))),
        page_rows=max(1, int(get("collections_page_rows"))),
        max_key_chars=min(1000, max(1, int(get("collections_max_key_chars")))),
        max_value_chars=max(1, int(get("collections_max_value_chars"))),
        url=get("collections_url").strip().rstrip("/"),
        secret=get("collections_secret").strip(),
        token_grace_seconds=max(0.0, float(get("collections_token_grace_seconds"))),
    )
# --- end collections ------------------------------------------------------------------------------------------------
