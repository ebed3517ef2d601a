"""Checked projects kept between full parses: taken back only while nothing they were read from changed."""

from __future__ import annotations

import dataclasses
import os
import pickle
import tempfile
import time

import pytest

from openfn.errors import ProjectError
from openfn.readers import _model_cache, load_projects
from openfn.readers import loader

PROJECT = """
name: clinic
jobs:
  register: {expression: job.py, trigger: new-form}
  weekly: {expression: weekly.js, trigger: weekly, adaptor: '@openfn/language-http@0.0.1'}  # not installed: a problem
triggers:
  new-form: {criteria: '{"formID": "reg"}'}
  weekly: {cron: '0 23 * * 5'}
"""
JOB = "operations = []\n"
JS_JOB = "fn(state => state);\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """A cache directory of this test's own (the per-user one is shared by every process of the user)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def settle(folder):
    """Date every file of ``folder`` back a minute: written long enough ago for its time to tell a change."""
    past = time.time() - 60
    for path in folder.rglob("*"):
        os.utime(path, (past, past))


@pytest.fixture
def project(make_project):
    folder = make_project(PROJECT, folder="clinic", files={"job.py": JOB, "weekly.js": JS_JOB})
    settle(folder)
    return folder


def reads(monkeypatch) -> list:
    """Count the folders actually read (not taken from the cache)."""
    calls = []
    original = loader._read_project

    def counting(folder, **kwargs):
        calls.append(folder.name)
        return original(folder, **kwargs)

    monkeypatch.setattr(loader, "_read_project", counting)
    return calls


def test_an_unchanged_project_is_taken_back_without_reading_it(project, monkeypatch):
    calls = reads(monkeypatch)
    first = load_projects(project.parent)
    second = load_projects(project.parent)
    assert calls == ["clinic"]
    # Errors compare by identity: the projects without them, and the problems by what they say.
    assert [dataclasses.replace(p, problems=()) for p in second.projects] == [dataclasses.replace(p, problems=()) for p in first.projects]
    assert [str(p) for p in second.problems] == [str(p) for p in first.problems] != []
    assert all(isinstance(p, ProjectError) for p in second.problems)


@pytest.mark.parametrize("change", ["edit a job file", "add a file", "remove a job file", "edit the project file"])
def test_any_change_in_the_folder_reads_it_again(project, monkeypatch, change):
    calls = reads(monkeypatch)
    load_projects(project.parent)
    if change == "edit a job file":  # same size: only the time tells
        (project / "job.py").write_text("operations=[ ]\n")
    elif change == "add a file":
        (project / "notes.txt").write_text("x")
    elif change == "remove a job file":
        (project / "weekly.js").unlink()
    else:
        (project / "project.yaml").write_text(PROJECT.replace("clinic", "clinic-b"))
    report = load_projects(project.parent)
    assert calls == ["clinic", "clinic"]
    if change == "remove a job file":
        assert report.projects == [] and any("weekly.js" in str(e) for e in report.errors)
    elif change == "edit the project file":
        assert [p.name for p in report.projects] == ["clinic-b"]


def test_a_file_changed_just_before_the_read_keeps_the_project_out(make_project, monkeypatch):
    folder = make_project(PROJECT, folder="clinic", files={"job.py": JOB, "weekly.js": JS_JOB})  # written now
    calls = reads(monkeypatch)
    load_projects(folder.parent)
    load_projects(folder.parent)
    assert calls == ["clinic", "clinic"]
    settle(folder)
    load_projects(folder.parent)
    load_projects(folder.parent)
    assert calls == ["clinic", "clinic", "clinic"]


def test_a_broken_project_is_never_kept(make_project, monkeypatch):
    folder = make_project(PROJECT.replace("new-form}", "no-such-trigger}"), folder="clinic", files={"job.py": JOB, "weekly.js": JS_JOB})
    settle(folder)
    calls = reads(monkeypatch)
    assert load_projects(folder.parent).errors
    assert load_projects(folder.parent).errors
    assert calls == ["clinic", "clinic"]


def test_what_reading_depends_on_outside_the_folder_is_part_of_the_key(project, monkeypatch, tmp_path):
    calls = reads(monkeypatch)
    js = tmp_path / "js"
    (js / "node_modules").mkdir(parents=True)
    (js / "package.json").write_text("{}")
    base = dict(timeout=30.0, js_dir=js, node="node")
    first = _model_cache.context_signature(**base)
    assert _model_cache.context_signature(**base) == first
    assert _model_cache.context_signature(**{**base, "timeout": 60.0}) != first
    assert _model_cache.context_signature(**{**base, "node": "/opt/node/bin/node"}) != first
    later = time.time() + 5
    os.utime(js / "package.json", (later, later))  # an adaptor added
    assert _model_cache.context_signature(**base) != first
    load_projects(project.parent)
    monkeypatch.setattr(loader, "_default_timeout", lambda: 61.0)  # [openfn] job_timeout_seconds changed
    report = load_projects(project.parent)
    assert calls == ["clinic", "clinic"]
    assert report.projects[0].jobs["register"].timeout == 61.0


def test_an_entry_that_cannot_be_read_is_ignored(project, monkeypatch, private_cache):
    calls = reads(monkeypatch)
    load_projects(project.parent)
    entries = list(private_cache.rglob("*.project"))
    assert len(entries) == 1
    entries[0].write_bytes(b"not a pickle")
    assert [p.name for p in load_projects(project.parent).projects] == ["clinic"]
    entries[0].write_bytes(pickle.dumps(("a signature of another time", "not a project")))
    assert [p.name for p in load_projects(project.parent).projects] == ["clinic"]
    assert calls == ["clinic", "clinic", "clinic"]


def test_a_task_start_never_uses_the_cache(project, monkeypatch, private_cache):
    calls = reads(monkeypatch)
    load_projects(project.parent, only="clinic", only_job="register")
    load_projects(project.parent, only="clinic", only_job="register")
    assert calls == ["clinic", "clinic"]
    assert not list(private_cache.rglob("*.project"))


def test_a_cache_directory_others_can_write_is_not_used(project, monkeypatch, private_cache):
    from openfn import cache

    (private_cache / f"openfn-parse-cache-{os.getuid()}").mkdir(mode=0o777)
    os.chmod(private_cache / f"openfn-parse-cache-{os.getuid()}", 0o777)
    cache._checked.cache_clear()
    calls = reads(monkeypatch)
    load_projects(project.parent)
    load_projects(project.parent)
    assert calls == ["clinic", "clinic"]
    assert not list(private_cache.rglob("*.project"))
    cache._checked.cache_clear()


def test_errors_keep_their_fields_through_a_round_trip():
    error = ProjectError("p.yaml", "jobs.a", "is wrong", value=3, fix="make it right.")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.file, again.key, again.value, again.fix, again.args) == (
        ProjectError, str(error), "p.yaml", "jobs.a", 3, "make it right.", error.args)
