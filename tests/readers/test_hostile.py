"""Project files that are wrong in several ways, or hostile: every error at once, names that only look
valid, YAML that expands without bound, symbolic links out of the folder. One such folder never hides
another project."""

from __future__ import annotations

import os
import time
import tracemalloc

import pytest

from openfn.errors import ProjectError
from openfn.readers import load_project, load_projects
from openfn.readers.loader import ProjectErrors

GOOD = "jobs: {j: {expression: job.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n"


def test_every_error_of_a_file_is_reported_at_once(make_project):
    folder = make_project(
        "name: Bad Name\n"
        "jobs:\n"
        "  a: {expression: job.py, trigger: nope}\n"
        "  b: {expression: missing.py, trigger: t}\n"
        "  c: {expression: job.py, trigger: t, retries: -2, triger: x}\n"
        "triggers:\n"
        "  t: {cron: '0 1 * * *'}\n"
        "  u: {cron: 'every day'}\n"
        "  v: {success: ghost}\n"
    )
    with pytest.raises(ProjectErrors) as info:
        load_project(folder)
    assert [(error.key, error.problem) for error in info.value.errors] == [
        ("name", "must match ^[a-z0-9_-]+$"),
        ("triggers.u.cron", "is not a valid 5-field cron expression"),
        ("jobs.a.trigger", "names an unknown trigger"),
        ("jobs.b.expression", "names a file that does not exist"),
        ("jobs.c.triger", "is not a known key"),
        ("triggers.v.success", "names an unknown job"),
    ]
    assert str(info.value).count("\n") == 5  # one line per error


def test_a_job_whose_trigger_is_broken_is_not_reported_twice(make_project):
    folder = make_project("jobs: {j: {expression: job.py, trigger: t}}\ntriggers: {t: {cron: 'nonsense'}}\n")
    with pytest.raises(ProjectError) as info:
        load_project(folder)
    assert not isinstance(info.value, ProjectErrors)
    assert info.value.key == "triggers.t.cron"


@pytest.mark.parametrize("name", ["x\n", "clinic\t", "a\u200bb", "clinic\r"])
def test_a_project_name_with_an_invisible_character_is_refused(make_project, name):
    folder = make_project(f"name: {name!r}\n".replace("'", '"') + GOOD)
    with pytest.raises(ProjectError, match=r"name: must match \^\[a-z0-9_-\]\+\$"):
        load_project(folder)


def test_a_job_key_with_a_trailing_newline_is_refused(make_project):
    folder = make_project('jobs: {"j\\n": {expression: job.py, trigger: t}}\ntriggers: {t: {cron: "0 1 * * *"}}\n')
    with pytest.raises(ProjectError, match=r"jobs\.j\n: must match"):
        load_project(folder)


def test_a_broken_name_does_not_hide_the_other_projects(make_project):
    make_project(GOOD, folder="good")
    broken = make_project('name: "x\\n"\n' + GOOD, folder="broken")
    report = load_projects(broken.parent)
    assert [p.name for p in report.projects] == ["good"]
    assert [e.key for e in report.errors] == ["name"]


BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi")
)


def test_a_yaml_alias_bomb_is_refused_quickly_and_cheaply(make_project):
    folder = make_project("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + BOMB + GOOD)
    assert len((folder / "project.yaml").read_bytes()) < 600
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(ProjectError, match=r"project\.yaml: expands to more than 1,000,000 values through its anchors and aliases\. Fix: write the values out, or use fewer nested aliases\.$"):
        load_project(folder)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 1024 * 1024
    assert time.process_time() - started < 5  # bounded work, not a timing claim: the bomb needs hours


def test_ordinary_anchors_and_aliases_still_load(make_project):
    folder = make_project("jobs:\n  a: &job {expression: job.py, trigger: t}\n  b: *job\ntriggers: {t: {cron: '0 1 * * *'}}\n")
    assert sorted(load_project(folder).jobs) == ["a", "b"]


def test_a_job_file_that_links_outside_the_project_is_refused(make_project, tmp_path):
    outside = tmp_path / "secret.py"
    outside.write_text("operations = []\n")
    folder = make_project("jobs: {j: {expression: link.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n")
    os.symlink(outside, folder / "link.py")
    with pytest.raises(ProjectError, match=r"jobs\.j\.expression: is a symbolic link to a file outside the project folder \(got 'link\.py'\)\. Fix: copy the file into the project folder\.$"):
        load_project(folder)


def test_a_link_inside_the_project_folder_is_fine(make_project):
    folder = make_project("jobs: {j: {expression: link.py, trigger: t}}\ntriggers: {t: {cron: '0 1 * * *'}}\n")
    os.symlink(folder / "job.py", folder / "link.py")
    assert load_project(folder).jobs["j"].expression_file == folder / "link.py"


def test_a_project_file_that_links_outside_its_folder_is_refused(make_project, tmp_path):
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(GOOD)
    folder = make_project(GOOD)
    (folder / "project.yaml").unlink()
    os.symlink(elsewhere, folder / "project.yaml")
    with pytest.raises(ProjectError, match=r"project\.yaml: is a symbolic link to a file outside its project folder\. Fix: copy the file into the folder\.$"):
        load_project(folder)


def test_a_file_that_is_not_an_openfn_project_is_named_as_such(make_project):
    folder = make_project("version: '3'\nservices: {web: {image: nginx}}\n")
    with pytest.raises(ProjectError, match=r"project\.yaml: is not an OpenFn project file: it has no `jobs:` \(its keys: version, services\)\. Fix: put the OpenFn project export here, or move this file out of the projects folder\.$"):
        load_project(folder)
