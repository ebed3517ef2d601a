"""Every key of Lightning's project files, and what each does here.

A key either works (it is read into the model), is Lightning's own bookkeeping with no meaning for a run
(ignored quietly), or is reported (a warning, or a problem of what it belongs to). An unknown key that looks
like a typo of a known one is an error; any other unknown key is logged and ignored (Reader.check_keys).
tests/readers/test_lightning_keys.py checks that each key of Lightning's formats is in one of these lists.
"""

from __future__ import annotations

from typing import Any

from openfn.readers._reader import Reader

TOP_KEYS = ("name", "description", "collections", "channels", "credentials", "project_credentials", "globals", "workflows", "id",
            "concurrency")  # fmt: skip
WORKFLOW_KEYS = ("name", "jobs", "triggers", "edges", "id", "concurrency", "enable_job_logs", "globals")
JOB_KEYS = ("name", "adaptor", "credential", "body", "globals", "id", "project_credential_id", "keychain_credential_id",
            "memory_limit_mb")  # memory_limit_mb: ours (a JavaScript run's memory limit)
TRIGGER_KEYS = ("type", "enabled", "cron_expression", "cron_cursor_job", "cron_cursor_job_id", "webhook_reply",
                "webhook_response_config", "kafka_configuration", "custom_path", "id", "webhook_auth_methods")  # fmt: skip
EDGE_KEYS = ("source_trigger", "source_job", "target_job", "source_trigger_id", "source_job_id", "target_job_id",
             "condition_type", "condition_label", "condition_expression", "condition", "enabled", "id")  # fmt: skip

# Lightning's records carry these in its state (the provisioning API) and some exports: timestamps, foreign
# keys, optimistic locks, canvas positions, version history, retention and access settings of the instance.
# None changes what a run does, so none is reported.
BOOKKEEPING = (
    "inserted_at", "updated_at", "deleted_at", "project_id", "workflow_id", "lock_version", "positions", "version_history",
    "delete", "scheduled_deletion", "retention_policy", "history_retention_period", "dataclip_retention_period",
    "requires_mfa", "allow_support_access", "env", "color", "parent_id", "has_auth_method", "user_id",
)  # fmt: skip


def deleted(record: Any) -> bool:
    """A record Lightning's state keeps after its deletion (``deleted_at`` set, or ``delete: true`` in an import)."""
    return isinstance(record, dict) and (record.get("deleted_at") not in (None, "") or record.get("delete") is True)


def globals_source(reader: Reader, value: Any, where: str) -> str | None:
    """``globals:``: JavaScript (an ES module's source) whose exports every job it applies to can use, as
    @openfn/runtime's ``workflow.globals``. Project, workflow and job globals are joined in that order."""
    if value in (None, "", [], {}):  # Lightning's export writes `globals: []` (commented out) when there are none
        return None
    if not isinstance(value, str):
        raise reader.error(where, "must be JavaScript source (exported functions and values)", value=type(value).__name__,
                           fix="write `globals: |` followed by `export const ...` lines, or remove it.")  # fmt: skip
    return value


def top_level_reports(reader: Reader, top: dict) -> None:
    """What a project file's top level carries that runs nowhere here: warnings (nothing else is stopped)."""
    if top.get("channels") not in (None, [], {}):
        reader.warn("channels", "are Lightning channels (its HTTP proxy), which this product does not run: they are not loaded",
                    fix="call the destination systems from a job instead, or remove `channels:`.")  # fmt: skip
    if top.get("concurrency") is not None:
        reader.warn("concurrency", "is the project's limit of concurrent runs, which this product does not apply across workflows",
                    fix="set `concurrency:` on each workflow instead (each workflow's DAG runs at most that many at once).")  # fmt: skip
