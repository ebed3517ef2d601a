"""The README's quickstart project is real: it loads, and its jobs run as the README says."""

from __future__ import annotations

import re
import textwrap

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.dags.conftest import REPO


def quickstart_files() -> dict[str, str]:
    """project.yaml and the job files, from the README's quickstart code blocks."""
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Quickstart\n")
    section = text[start:text.index("\n## ", start + 1)]
    files = {}
    for name, block in re.findall(r"(`[\w.]+`|Create `include/jobs/clinic/project.yaml`)[^`]*?```(?:yaml|python|javascript)\n(.*?)```", section, re.S):
        filename = "project.yaml" if "project.yaml" in name else name.strip("`")
        files[filename] = textwrap.dedent(block)
    return files


def test_quickstart_has_the_project_and_its_three_jobs_in_both_languages():
    assert sorted(quickstart_files()) == ["confirm.py", "project.yaml", "register_patient.js", "weekly_count.py"]


def test_quickstart_project_loads_and_runs_both_languages(tmp_path, sync_dags, db):
    folder = tmp_path / "clinic"
    folder.mkdir()
    for name, text in quickstart_files().items():
        (folder / name).write_text(text)
    project = load_project(folder)
    assert [job.language for job in project.jobs.values()] == ["javascript", "python", "python"]
    assert project.problems == ()
    assert sorted(job.dag_id for job in project.jobs.values()) == ["clinic.after-registration", "clinic.register-patient", "clinic.weekly-count"]
    dags = sync_dags(build_dag(project, job) for job in project.jobs.values())
    form = {"formID": "patient_registration_v7", "name": "jack wilshere", "dob": "1986-05-16"}
    run = dags["clinic.register-patient"].test(run_conf={"state": {"data": form}})
    assert run.state == "success"
    (_, _, flow_conf) = [r for r in db.runs("clinic.after-registration") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id][0]
    after = dags["clinic.after-registration"].test(run_conf=flow_conf)
    assert db.xcom("clinic.after-registration", after.run_id)["confirmed"] == "Jack Wilshere"
    for expected in (1, 2):
        counted = dags["clinic.weekly-count"].test()
        assert db.xcom("clinic.weekly-count", counted.run_id)["runs"] == expected
