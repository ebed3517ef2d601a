"""project.yaml -> typed objects: valid projects, the v1 export, and the defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from openfn.errors import ProjectError
from openfn.model import CronTrigger, FailTrigger, FlowTrigger, MessageTrigger
from openfn.readers import load_project, load_projects

REPO = Path(__file__).resolve().parents[2]
FULL = """
name: clinic-a
inbox: {auth: [api_key, basic]}
notify: {email: [ops@example.org]}
jobs:
  register-patient:
    expression: job.py
    adaptor: '@openfn/language-common@2.1.0'
    trigger: new-registration
    credential: openmrs
    retries: 2
    retry_delay_seconds: 30
  weekly-export: {expression: job.py, trigger: weekly, enabled: false}
  after: {expression: job.py, trigger: after-register, autoprocess: false}
  failed: {expression: job.py, trigger: register-failed}
triggers:
  new-registration:
    criteria: '{"formID": "patient_registration_v7", "score": 1.5}'
    exclusion: {allowedToShare: false}
  weekly: {cron: '0 23 * * 5', timezone: Africa/Nairobi}
  after-register: {success: register-patient}
  register-failed: {failure: register-patient}
credentials:
  openmrs: {}
  dhis2: {conn_id: dhis2_prod, password: '******'}
"""


def test_full_project_becomes_typed_objects(make_project):
    project = load_project(make_project(FULL, folder="anything"))
    assert project.name == "clinic-a"
    assert list(project.jobs) == ["register-patient", "weekly-export", "after", "failed"]
    job = project.jobs["register-patient"]
    assert (job.dag_id, job.adaptor, job.adaptor_version, job.language) == ("clinic-a.register-patient", "common", "2.1.0", "python")
    assert (job.retries, job.retry_delay_seconds, job.autoprocess, job.enabled) == (2, 30.0, True, True)
    assert job.credential.conn_id == "openmrs"
    assert job.trigger == MessageTrigger(
        key="new-registration",
        inclusion={"formID": "patient_registration_v7", "score": Decimal("1.5")},
        exclusion={"allowedToShare": False},
    )
    assert project.jobs["weekly-export"].trigger == CronTrigger(key="weekly", cron="0 23 * * 5", timezone="Africa/Nairobi")
    assert project.jobs["weekly-export"].enabled is False
    assert project.jobs["after"].trigger == FlowTrigger(key="after-register", upstream="register-patient")
    assert project.jobs["failed"].trigger == FailTrigger(key="register-failed", upstream="register-patient")
    assert project.credentials["dhis2"].conn_id == "dhis2_prod"
    assert project.inbox.auth == ("api_key", "basic")
    assert project.inbox.api_key_variable == "openfn_inbox_api_key_clinic_a"
    assert project.inbox.basic_conn_id == "openfn_inbox_clinic_a"
    assert project.notify_email == ("ops@example.org",)
    assert [j.key for j in project.downstream("register-patient", "flow")] == ["after"]
    assert [j.key for j in project.downstream("register-patient", "fail")] == ["failed"]


def test_name_defaults_to_folder_and_cron_timezone_to_utc(make_project):
    project = load_project(make_project("jobs: {j: {expression: job.py, trigger: t}}\ntriggers: {t: {cron: '*/5 * * * *'}}\n", folder="kenya-moh"))
    assert project.name == "kenya-moh"
    assert project.jobs["j"].trigger == CronTrigger(key="t", cron="*/5 * * * *", timezone="UTC")
    assert project.jobs["j"].adaptor == "common"


def test_many_jobs_may_share_one_trigger(make_project):
    project = load_project(make_project("jobs: {a: {expression: job.py, trigger: t}, b: {expression: job.py, trigger: t}}\ntriggers: {t: {criteria: '{}'}}\n"))
    assert project.jobs["a"].trigger is project.jobs["b"].trigger


def test_v1_export_loads_unchanged_with_javascript_jobs():
    project = load_project(REPO / "tests" / "fixtures" / "v1-export")
    assert project.name == "v1-export"
    job = project.jobs["job-1"]
    assert (job.language, job.expression_file, job.adaptor, job.adaptor_version) == ("javascript", None, "common", None)
    assert job.trigger.inclusion == {"number": 2}
    assert job.credential.conn_id == "my-secret-credential"
    assert (project.jobs["recurring-job"].adaptor, project.jobs["recurring-job"].adaptor_version) == ("http", "6.4.3")
    assert project.jobs["catch-job"].autoprocess is False
    assert project.jobs["flow-job"].trigger == FlowTrigger(key="after-j1", upstream="job-1")


def test_demo_project_loads():
    project = load_project(REPO / "include" / "jobs" / "demo")
    assert sorted(project.jobs) == ["confirm-registration", "issue-patient-id", "register-patient", "registration-failed", "share-record", "weekly-export"]
    assert project.jobs["issue-patient-id"].trigger.reply == "after_completion"


def test_one_broken_project_never_hides_the_others(make_project):
    make_project("jobs: {j: {expression: job.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n", folder="good")
    broken = make_project("jobs: {j: {expression: job.py, trigger: nope}}\ntriggers: {}\n", folder="broken")
    report = load_projects(broken.parent)
    assert [p.name for p in report.projects] == ["good"]
    assert [str(e) for e in report.errors] == [
        f"{broken / 'project.yaml'}: jobs.j.trigger: names an unknown trigger (got 'nope'). Fix: define the trigger first."
    ]


def test_duplicate_project_names_are_an_error_for_the_second_folder(make_project):
    first = make_project("name: same\njobs: {}\n", folder="a")
    second = make_project("name: same\njobs: {}\n", folder="b")
    report = load_projects(first.parent)
    assert [p.folder for p in report.projects] == [first]
    assert [str(e) for e in report.errors] == [
        f"{second / 'project.yaml'}: name: is already used by {first / 'project.yaml'} (got 'same'). Fix: give each project a unique name."
    ]


def test_load_only_one_project_reads_its_folder_first(make_project):
    make_project("jobs: {}\n", folder="alpha")
    beta = make_project("jobs: {}\n", folder="beta")
    report = load_projects(beta.parent, only="beta")
    assert [p.name for p in report.projects] == ["beta"]


def test_missing_jobs_dir_loads_nothing(tmp_path):
    report = load_projects(tmp_path / "absent")
    assert (report.projects, report.errors) == ([], [])


def test_inbox_retention_days_is_a_whole_number_of_days(make_project):
    project = load_project(make_project("inbox: {retention_days: 30}\njobs: {}\n"))
    assert project.inbox.retention_days == 30
    assert load_project(make_project("jobs: {}\n", folder="plain")).inbox.retention_days is None
    with pytest.raises(ProjectError, match=r"inbox\.retention_days: must be a whole number >= 0 \(got 'a month'\)"):
        load_project(make_project("inbox: {retention_days: a month}\njobs: {}\n", folder="bad"))


REPLYING = """
jobs:
  lookup: {expression: job.py, trigger: lookup}
triggers:
  lookup:
    criteria: '{"kind": "lookup"}'
"""


def test_a_message_trigger_may_answer_with_the_result(make_project):
    plain = load_project(make_project(REPLYING)).jobs["lookup"].trigger
    assert (plain.reply, plain.success_code, plain.error_code, plain.reply_after_flow) == ("before_start", None, None, False)
    text = REPLYING + "    webhook_reply: after_completion\n    webhook_response_config: {success_code: 200, error_code: 422}\n    webhook_reply_after_flow: true\n"
    trigger = load_project(make_project(text, folder="replying")).jobs["lookup"].trigger
    assert (trigger.reply, trigger.success_code, trigger.error_code, trigger.reply_after_flow) == ("after_completion", 200, 422, True)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("    webhook_reply: when_done\n", r"triggers\.lookup\.webhook_reply: must be before_start or after_completion"),
        ("    webhook_response_config: {success_code: 101}\n", r"webhook_response_config\.success_code: must be an HTTP status code of a final answer"),
        ("    webhook_response_config: {error_code: '500'}\n", r"webhook_response_config\.error_code: must be an HTTP status code"),
    ],
)
def test_reply_settings_that_cannot_be_honoured_are_project_errors(make_project, lines, message):
    with pytest.raises(ProjectError, match=message):
        load_project(make_project(REPLYING + lines))


@pytest.mark.parametrize(("job", "read"), [
    ("register-patient", ["register-patient", "confirm-registration", "registration-failed"]),  # it and the jobs it starts
    ("confirm-registration", ["confirm-registration"]),  # its trigger follows a job left out: not an unknown job
])
def test_a_task_start_reads_only_its_job_and_the_jobs_its_dag_starts(job, read):
    report = load_projects(REPO / "include" / "jobs", only="demo", only_job=job)
    (project,) = [p for p in report.projects if p.name == "demo"]
    assert (list(project.jobs), report.errors) == (read, [])


def test_memory_limit_mb_is_read_per_job_and_per_lightning_step(make_project):
    v1 = load_project(make_project("jobs:\n  big: {expression: 'fn(s => s);', trigger: t, memory_limit_mb: 2048}\n  "
                                   "small: {expression: 'fn(s => s);', trigger: t}\ntriggers:\n  t: {criteria: '{\"a\": 1}'}\n"))  # fmt: skip
    assert (v1.jobs["big"].memory_limit_mb, v1.jobs["small"].memory_limit_mb) == (2048, None)
    lightning = load_project(make_project(
        "workflows:\n  w:\n    name: w\n    jobs:\n      s1: {name: s1, adaptor: '@openfn/language-common@3.3.4', body: 'fn(s => s);', memory_limit_mb: 64}\n"
        "    triggers:\n      webhook: {type: webhook, enabled: true}\n    edges:\n      webhook->s1: {source_trigger: webhook, target_job: s1, condition_type: always}\n",
        folder="light"))  # fmt: skip
    assert lightning.workflows["w"].steps["s1"].memory_limit_mb == 64
    with pytest.raises(ProjectError, match=r"jobs\.big\.memory_limit_mb: must be a whole number >= 16 \(got 'lots'\)"):
        load_project(make_project("jobs:\n  big: {expression: 'fn(s => s);', trigger: t, memory_limit_mb: lots}\ntriggers:\n  t: {criteria: '{\"a\": 1}'}\n", folder="bad"))
