"""Every way a project file can be wrong gives one error naming the file, key path, bad value and fix."""

from __future__ import annotations

import pytest

from openfn.errors import ProjectError
from openfn.readers import load_project

JOB = "jobs: {j: {expression: job.py, trigger: t}}\n"

CASES = {
    "unknown trigger": (
        "jobs: {j: {expression: job.py, trigger: nope}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.trigger: names an unknown trigger (got 'nope'). Fix: use one of: t.",
    ),
    "missing trigger": (
        "jobs: {j: {expression: job.py}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.trigger: is missing. Fix: use one of: t.",
    ),
    "unknown credential": (
        "jobs: {j: {expression: job.py, trigger: t, credential: dhis}}\ntriggers: {t: {cron: '0 1 * * *'}}\ncredentials: {dhis2: {}}\n",
        "jobs.j.credential: names an unknown credential (got 'dhis'). Fix: use one of: dhis2.",
    ),
    "unknown upstream job": (
        JOB + "triggers: {t: {success: ghost}}\n",
        "triggers.t.success: names an unknown job (got 'ghost'). Fix: use one of: j.",
    ),
    "bad cron": (
        JOB + "triggers: {t: {cron: '0 25 * * *'}}\n",
        "triggers.t.cron: is not a valid 5-field cron expression (got '0 25 * * *'). Fix: write minute hour day-of-month month day-of-week, e.g. '0 23 * * 5' (Fridays at 23:00).",
    ),
    "six-field cron": (
        JOB + "triggers: {t: {cron: '0 0 1 * * *'}}\n",
        "triggers.t.cron: is not a valid 5-field cron expression (got '0 0 1 * * *'). Fix: write minute hour day-of-month month day-of-week, e.g. '0 23 * * 5' (Fridays at 23:00).",
    ),
    "bad timezone": (
        JOB + "triggers: {t: {cron: '0 1 * * *', timezone: Mars/Olympus}}\n",
        "triggers.t.timezone: is not a known IANA time zone (got 'Mars/Olympus'). Fix: use a name such as 'Africa/Nairobi' or 'UTC'.",
    ),
    "two trigger kinds": (
        JOB + "triggers: {t: {cron: '0 1 * * *', criteria: '{}'}}\n",
        "triggers.t: has 2 kinds (criteria, cron). Fix: give exactly one of `criteria: '{...}'`, `cron: '0 23 * * 5'`, `success: <job>` or `failure: <job>`.",
    ),
    "no trigger kind": (
        JOB + "triggers: {t: {timezone: UTC}}\n",
        "triggers.t: has no trigger kind. Fix: give exactly one of `criteria: '{...}'`, `cron: '0 23 * * 5'`, `success: <job>` or `failure: <job>`.",
    ),
    "criteria not json": (
        JOB + "triggers: {t: {criteria: '{formID: x}'}}\n",
        None,  # message from the JSON parser; checked by prefix below
    ),
    "criteria a scalar": (
        JOB + "triggers: {t: {criteria: '42'}}\n",
        "triggers.t.criteria: must be a JSON object or array (got '42'). Fix: write a JSON object such as '{\"formID\": \"patient_registration_v7\"}'.",
    ),
    "flow cycle": (
        "jobs: {a: {expression: job.py, trigger: after-b}, b: {expression: job.py, trigger: after-a}}\n"
        "triggers: {after-a: {success: a}, after-b: {failure: b}}\n",
        "jobs.a.trigger: makes a cycle of flow/fail triggers (a -> b -> a) (got 'after-b'). Fix: break the cycle: a job cannot (indirectly) start itself.",
    ),
    "self cycle": (
        "jobs: {a: {expression: job.py, trigger: again}}\ntriggers: {again: {success: a}}\n",
        "jobs.a.trigger: makes a cycle of flow/fail triggers (a -> a) (got 'again'). Fix: break the cycle: a job cannot (indirectly) start itself.",
    ),
    "missing expression file": (
        "jobs: {j: {expression: missing.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.expression: names a file that does not exist (got 'missing.py'). Fix: create {folder}/missing.py or fix the name.",
    ),
    "expression outside the folder": (
        "jobs: {j: {expression: ../other.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.expression: points outside the project folder (got '../other.py'). Fix: name a job file next to project.yaml (`register_patient.py`, `register.js`) or write JavaScript inline.",
    ),
    "unknown adaptor": (
        "jobs: {j: {expression: job.py, trigger: t, adaptor: '@openfn/language-nosuch@1.0'}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        None,
    ),
    "bad job key": (
        "jobs: {'bad key': {expression: job.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.bad key: must match ^[A-Za-z0-9_-]+$ (got 'bad key'). Fix: use letters, digits, '-' and '_' in job keys.",
    ),
    "bad project name": (
        "name: Clinic A\njobs: {}\n",
        "name: must match ^[a-z0-9_-]+$ (got 'Clinic A'). Fix: use lower-case letters, digits, '-' and '_' (or rename the folder).",
    ),
    "autoprocess not bool": (
        "jobs: {j: {expression: job.py, trigger: t, autoprocess: 'yes please'}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.autoprocess: must be true or false (got 'yes please'). Fix: write `autoprocess: true` or `false`.",
    ),
    "negative retries": (
        "jobs: {j: {expression: job.py, trigger: t, retries: -1}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.retries: must be a whole number >= 0 (got -1). Fix: set it to a whole number such as 0.",
    ),
    "typo in a key": (
        "jobs: {j: {expression: job.py, triger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n",
        "jobs.j.triger: is not a known key. Fix: did you mean `trigger`?",
    ),
    "bad inbox auth": (
        "inbox: {auth: [oauth]}\njobs: {}\n",
        "inbox.auth: must be a list of api_key and/or basic (got ['oauth']). Fix: write `auth: [api_key]`, `auth: [basic]` or both.",
    ),
    "bad notify": (
        "notify: {email: [not-an-address]}\njobs: {}\n",
        "notify.email: must be a list of e-mail addresses (got ['not-an-address']). Fix: write `email: [ops@example.org]`.",
    ),
    "jobs not a mapping": (
        "jobs: [a, b]\n",
        "jobs: must be a mapping (got ['a', 'b']). Fix: list jobs as `job-key: {expression: ..., trigger: ...}` entries.",
    ),
    "not a mapping at all": (
        "- just\n- a list\n",
        ": must be a mapping (got ['just', 'a list']). Fix: start project.yaml with `jobs:` and `triggers:` mappings.",
    ),
}


@pytest.mark.parametrize("case", [c for c, (_, m) in CASES.items() if m is not None])
def test_error_names_file_key_value_and_fix(make_project, case):
    text, message = CASES[case]
    folder = make_project(text)
    file = folder / "project.yaml"
    message = message.replace("{folder}", str(folder))
    expected = f"{file}{message}" if message.startswith(":") else f"{file}: {message}"
    with pytest.raises(ProjectError) as info:
        load_project(folder)
    assert str(info.value) == expected


def test_criteria_that_is_not_json_names_the_parser_error(make_project):
    folder = make_project(CASES["criteria not json"][0])
    with pytest.raises(ProjectError, match=r"^.*project\.yaml: triggers\.t\.criteria: is not valid JSON \(.+\) \(got '\{formID: x\}'\)\. Fix: write a JSON object such as"):
        load_project(folder)


def test_unknown_adaptor_lists_the_available_ones(make_project):
    folder = make_project(CASES["unknown adaptor"][0])
    with pytest.raises(ProjectError, match=r"jobs\.j\.adaptor: names an adaptor this deployment does not have \(got '@openfn/language-nosuch@1\.0'\)\. Fix: use one of: .*common"):
        load_project(folder)


def test_python_syntax_error_names_the_line(make_project):
    folder = make_project(JOB + "triggers: {t: {cron: '0 1 * * *'}}\n", files={"job.py": "operations = [\n  fn(\n"})
    with pytest.raises(ProjectError, match=r"jobs\.j\.expression: has a Python syntax error at line 2: .+ \(got 'job\.py'\)\. Fix: correct job\.py line 2\.$"):
        load_project(folder)


def test_invalid_yaml_names_the_line_where_the_mapping_opened(make_project):
    folder = make_project("jobs:\n  j: {expression: job.py\n")
    with pytest.raises(ProjectError, match=r"project\.yaml: is not valid YAML at line 2, column 6: `j: \{expression: job\.py`: did not find expected ',' or '\}' \(while parsing a flow mapping\)\. Fix: correct the YAML there\.$"):
        load_project(folder)


def test_invalid_yaml_names_the_line_of_the_mistake_not_the_next_one(make_project):
    folder = make_project("jobs:\n  j:\n    expression: job.py\n    trigger t\n  k: {}\n")
    with pytest.raises(ProjectError, match=r"project\.yaml: is not valid YAML at line 4, column 5: `trigger t`: could not find expected ':' \(while scanning a simple key\)\. Fix: correct the YAML there\.$"):
        load_project(folder)


def test_unknown_keys_far_from_known_ones_are_ignored(make_project, caplog):
    folder = make_project("jobs: {j: {expression: job.py, trigger: t, project_id: 42}}\ntriggers: {t: {cron: '0 1 * * *'}}\n")
    assert list(load_project(folder).jobs) == ["j"]
    assert "jobs.j.project_id: unknown key ignored" in caplog.text
