"""No key of Lightning's project files is accepted without effect or report.

Every key Lightning writes (its project.yaml export, lib/lightning/export_utils.ex and its newer
serializer; its project state, as the provisioning API returns it, lib/lightning/projects/provisioner.ex)
is listed below with what it does here. For each, a project is loaded with and without the key: a key that
works changes the loaded model; a reported key adds a warning or a problem; Lightning's bookkeeping and a
record's own id change nothing and report nothing. The lists the reader accepts must be exactly these.
"""

from __future__ import annotations

import copy
import json

import pytest

from openfn.readers import load_project
from openfn.readers._lightning_keys import BOOKKEEPING, EDGE_KEYS, JOB_KEYS, TOP_KEYS, TRIGGER_KEYS, WORKFLOW_KEYS

EFFECT, REPORTED, QUIET, STRUCTURE, ELSEWHERE = "works", "reported", "ignored quietly", "structure", "another feature"

# (where, key) -> (what it does, the value to set, the trigger it is set on when it concerns one kind)
KEYS = {
    ("project", "name"): (EFFECT, "Clinic", None),
    ("project", "description"): (EFFECT, "Referrals.", None),
    ("project", "credentials"): (EFFECT, {"me@example.org-API": {"name": "API", "owner": "me@example.org"}}, None),
    ("project", "project_credentials"): (EFFECT, [{"id": "c-1", "name": "API", "owner": "me@example.org"}], None),
    ("project", "globals"): (EFFECT, "export const g = 1;", None),
    ("project", "workflows"): (STRUCTURE, None, None),
    # Read by the collections feature (issue 19), which maps them to its own store: not this reader's.
    ("project", "collections"): (ELSEWHERE, None, None),
    ("project", "channels"): (REPORTED, [{"name": "proxy", "destination_url": "https://example.org"}], None),
    ("project", "concurrency"): (REPORTED, 3, None),
    ("project", "id"): (QUIET, "4adf2644", None),
    ("workflow", "name"): (EFFECT, "Intake", None),
    ("workflow", "jobs"): (STRUCTURE, None, None),
    ("workflow", "triggers"): (STRUCTURE, None, None),
    ("workflow", "edges"): (STRUCTURE, None, None),
    ("workflow", "concurrency"): (EFFECT, 2, None),
    ("workflow", "enable_job_logs"): (EFFECT, False, None),
    ("workflow", "globals"): (EFFECT, "export const g = 1;", None),
    ("workflow", "id"): (QUIET, "9b1d5c1e", None),
    ("job", "name"): (EFFECT, "Fetch cases", None),
    ("job", "adaptor"): (EFFECT, "@openfn/language-common@3.3.4", None),
    ("job", "credential"): (EFFECT, "me@example.org-API", None),
    ("job", "body"): (EFFECT, "fn(s => ({ ...s, x: 1 }))", None),
    ("job", "globals"): (EFFECT, "export const g = 1;", None),
    ("job", "id"): (QUIET, "j-1", None),  # what edges name by id: test_ids_name_the_same_records_as_keys
    ("job", "project_credential_id"): (REPORTED, "c-unknown", None),  # works with project_credentials: see the state test
    ("job", "keychain_credential_id"): (REPORTED, "k-1", None),
    ("job", "memory_limit_mb"): (EFFECT, 100, None),
    ("trigger", "type"): (REPORTED, "kafka", "webhook"),
    ("trigger", "enabled"): (EFFECT, False, "webhook"),
    ("trigger", "cron_expression"): (EFFECT, "0 3 * * *", "cron"),
    ("trigger", "cron_cursor_job"): (EFFECT, "a", "cron"),
    ("trigger", "cron_cursor_job_id"): (EFFECT, "j-1", "cron"),
    ("trigger", "webhook_reply"): (EFFECT, "after_completion", "webhook"),
    ("trigger", "webhook_response_config"): (EFFECT, {"success_code": 201}, "webhook"),
    ("trigger", "kafka_configuration"): (REPORTED, {"hosts": [["kafka", "9092"]], "topics": ["cases"]}, "kafka"),
    ("trigger", "custom_path"): (REPORTED, "cases", "webhook"),
    ("trigger", "webhook_auth_methods"): (REPORTED, [{"name": "key", "auth_type": "api"}], "webhook"),
    ("trigger", "id"): (QUIET, "t-1", "webhook"),
    ("edge", "source_trigger"): (STRUCTURE, None, None),
    ("edge", "source_job"): (EFFECT, "c", None),
    ("edge", "target_job"): (EFFECT, "c", None),
    ("edge", "source_trigger_id"): (STRUCTURE, None, None),
    ("edge", "source_job_id"): (STRUCTURE, None, None),  # test_ids_name_the_same_records_as_keys
    ("edge", "target_job_id"): (STRUCTURE, None, None),
    ("edge", "condition_type"): (EFFECT, "on_job_failure", None),
    ("edge", "condition_label"): (EFFECT, "checked", None),
    ("edge", "condition_expression"): (EFFECT, "state.data.ok", None),
    # The CLI's form (JavaScript itself) works without condition_type (test_lightning.py); beside it, it is reported.
    ("edge", "condition"): (REPORTED, "state.data.ok", None),
    ("edge", "enabled"): (EFFECT, False, None),
    ("edge", "id"): (QUIET, "e-1", None),
}
ACCEPTED = {"project": TOP_KEYS, "workflow": WORKFLOW_KEYS, "job": JOB_KEYS, "trigger": TRIGGER_KEYS, "edge": EDGE_KEYS}
STEP = {"adaptor": "@openfn/language-common@latest", "body": "fn(s => s)"}


def base(trigger: str | None) -> dict:
    triggers = {"cron": {"type": "cron", "cron_expression": "0 1 * * *"}} if trigger == "cron" else {"webhook": {"type": "webhook"}}
    if trigger == "kafka":
        triggers = {"webhook": {"type": "kafka"}}
    source = next(iter(triggers))
    return {"workflows": {"wf": {
        "name": "wf",
        "jobs": {"a": {"name": "a", "id": "j-1", **STEP}, "b": {"name": "b", **STEP}, "c": {"name": "c", **STEP}},
        "triggers": triggers,
        "edges": {"t": {"source_trigger": source, "target_job": "a", "condition_type": "always"},
                  "e": {"source_job": "a", "target_job": "b", "condition_type": "js_expression", "condition_expression": "true"}},
    }}}  # fmt: skip


def place(project: dict, where: str) -> dict:
    workflow = project["workflows"]["wf"]
    return {"project": project, "workflow": workflow, "job": workflow["jobs"]["a"], "trigger": next(iter(workflow["triggers"].values())),
            "edge": workflow["edges"]["e"]}[where]  # fmt: skip


def load(tmp_path, name: str, body: dict):
    folder = tmp_path / name / "demo"
    folder.mkdir(parents=True)
    (folder / "project.yaml").write_text(json.dumps(body))
    return load_project(folder)


def view(project) -> tuple:
    return (project.title, project.description, project.credentials, repr(project.workflows),
            [w.key for w in project.warnings], [p.key for p in project.problems])  # fmt: skip


def test_every_key_lightning_writes_is_listed_and_every_accepted_key_is_one_of_them():
    for where, accepted in ACCEPTED.items():
        listed = {key for (level, key) in KEYS if level == where}
        assert set(accepted) - {"memory_limit_mb"} == listed - {"memory_limit_mb"}, where
        assert not set(accepted) & set(BOOKKEEPING), where


CHECKED = [k for k, (kind, _, _) in KEYS.items() if kind in (EFFECT, REPORTED, QUIET)]
PATHS = {"project": "", "workflow": "workflows.wf", "job": "workflows.wf.jobs.a", "trigger": "workflows.wf.triggers.{trigger}", "edge": "workflows.wf.edges.e"}


@pytest.mark.parametrize(("where", "key"), CHECKED, ids=[f"{where}.{key}" for where, key in CHECKED])
def test_a_key_either_changes_what_loads_or_is_reported_or_is_a_records_own_id(tmp_path, where, key):
    kind, value, trigger = KEYS[(where, key)]
    without = base(trigger)
    with_key = copy.deepcopy(without)
    place(with_key, where)[key] = value
    before, after = view(load(tmp_path, "without", without)), view(load(tmp_path, "with", with_key))
    if kind == EFFECT:
        assert before[:4] != after[:4] and after[4:] == before[4:], "the key changes the model, with no report"
    elif kind == REPORTED:  # a warning or a problem at the key, or at its record (a Kafka trigger)
        path = ".".join(filter(None, [PATHS[where].format(trigger=next(iter(place(with_key, "workflow")["triggers"]))), key]))
        assert any(path == reported or path.startswith(f"{reported}.") for reported in after[4] + after[5]), after[4:]
    else:
        assert after == before


@pytest.mark.parametrize("key", BOOKKEEPING)
def test_lightnings_bookkeeping_changes_nothing_and_reports_nothing(tmp_path, key):
    without = base(None)
    with_key = copy.deepcopy(without)
    for where in ("project", "workflow", "job", "trigger", "edge"):
        place(with_key, where)[key] = "2025-02-11T09:31:00Z" if key != "deleted_at" and key != "delete" else None
    assert view(load(tmp_path, "with", with_key)) == view(load(tmp_path, "without", without))


def test_ids_name_the_same_records_as_keys(tmp_path):
    by_key = base(None)
    by_id = copy.deepcopy(by_key)
    workflow = by_id["workflows"]["wf"]
    workflow["triggers"]["webhook"]["id"] = "t-1"
    workflow["edges"]["t"] = {"source_trigger_id": "t-1", "target_job_id": "j-1", "condition_type": "always"}
    workflow["edges"]["e"] = {"source_job_id": "j-1", "target_job": "b", "condition_type": "js_expression", "condition_expression": "true"}
    assert view(load(tmp_path, "by_id", by_id)) == view(load(tmp_path, "by_key", by_key))
