"""``collections:`` in project files: Lightning's mapping by name, or a list; read into the model in both
formats, refused with the key path and the fix when a name is not one Lightning accepts, and written back
by ``make export``."""

from __future__ import annotations

import pytest
import yaml

from openfn.errors import ProjectError
from openfn.readers import load_project
from openfn.tools.export import export

V1 = """
name: demo
collections: {collections}
jobs:
  j: {{expression: job.py, adaptor: common, trigger: t}}
triggers:
  t: {{criteria: {{a: 1}}}}
"""
LIGHTNING = """
name: Demo Project
collections: {collections}
workflows:
  flow:
    name: flow
    jobs:
      step: {{name: step, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)'}}
    triggers:
      webhook: {{type: webhook, enabled: true}}
    edges:
      webhook->step: {{source_trigger: webhook, target_job: step, condition_type: always, enabled: true}}
"""


@pytest.mark.parametrize("template", [V1, LIGHTNING], ids=["v1", "lightning"])
@pytest.mark.parametrize("declared", ["{patients: {name: patients}, cache.v2: null}", "[patients, cache.v2]", "[{name: patients}, {name: cache.v2}]"])
def test_declared_collections_are_read_in_file_order(make_project, template, declared):
    assert load_project(make_project(template.format(collections=declared))).collections == ("patients", "cache.v2")


def test_a_project_without_collections_declares_none(make_project):
    assert load_project(make_project(V1.format(collections="null"))).collections == ()


@pytest.mark.parametrize(("declared", "where"), [("[Patients]", "collections[0]"), ("{a: {name: 'two words'}}", "collections.a"), ("42", "collections")])
def test_a_bad_name_is_reported_with_its_key_path_and_the_fix_and_the_workflows_still_load(make_project, declared, where):
    # Lightning files refuse only what cannot run: the collections are not created, the workflows run.
    project = load_project(make_project(LIGHTNING.format(collections=declared)))
    assert project.collections == () and list(project.workflows) == ["flow"]
    assert [p for p in project.problems if f"project.yaml: {where}: " in str(p) and "lower-case letters" in str(p)]


@pytest.mark.parametrize("fmt", ["lightning", "portability"])
def test_make_export_writes_them_back_and_they_load_again(make_project, tmp_path, fmt):
    folder = make_project(LIGHTNING.format(collections="[patients, cache.v2]"))
    written = export(folder, fmt)
    expected = {"patients": {"name": "patients"}, "cache.v2": {"name": "cache.v2"}} if fmt == "lightning" else [{"name": "patients"}, {"name": "cache.v2"}]
    assert yaml.safe_load(written)["collections"] == expected
    again = tmp_path / "again"
    again.mkdir()
    (again / "project.yaml").write_text(written)
    assert load_project(again).collections == ("patients", "cache.v2")
