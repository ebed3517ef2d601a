"""openfn-airflow's own logic: which adaptor versions the projects lack, adaptor specs, the check command's
report, and when the JavaScript install is left as it is. The installed command itself runs in
tests/package (from a wheel)."""

from __future__ import annotations

import json
import shutil

import pytest

from openfn.cli import adaptors, check, javascript
from openfn.cli.javascript import CommandError
from openfn.readers import load_projects

TRIGGER = "triggers: {t: {criteria: '{}'}}\n"


def jobs(**adaptor_of: str) -> str:
    lines = [f"  {key}: {{expression: 'fn(s => s)', trigger: t, adaptor: '{adaptor}'}}" for key, adaptor in adaptor_of.items()]
    return "jobs:\n" + "\n".join(lines) + "\n" + TRIGGER


def test_the_plan_lists_each_missing_version_once_with_every_step_that_names_it(make_project, tmp_path):
    make_project(jobs(a="@openfn/language-http@7.2.10", b="http@1.2.3", c="dhis2", d="common@^3"), folder="one")
    make_project(jobs(e="@openfn/language-http@1.2.3", f="http"), folder="two")
    report = load_projects(tmp_path / "jobs")
    installed = {"@openfn/language-http": ("4.0.0", "7.2.10"), "@openfn/language-common": ("3.3.4",)}

    plan = adaptors.plan(report.projects, installed)

    assert [(w.package, w.version, len(w.where)) for w in plan.missing] == [
        ("@openfn/language-dhis2", None, 1),  # no version named and none installed: the registry's newest
        ("@openfn/language-http", "1.2.3", 2),
    ]
    assert any(where.endswith("jobs.e") for where in plan.missing[1].where)
    assert [(w.package, w.version) for w, _ in plan.unusable] == [("@openfn/language-common", "^3")]
    assert "not an exact version" in plan.unusable[0][1]


def test_nothing_is_missing_when_every_named_version_is_installed(make_project, tmp_path):
    make_project(jobs(a="http@7.2.10", b="http"))
    plan = adaptors.plan(load_projects(tmp_path / "jobs").projects, {"@openfn/language-http": ("7.2.10",)})
    assert (plan.missing, plan.unusable) == ([], [])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("http", ("@openfn/language-http", None)),
        ("http@latest", ("@openfn/language-http", None)),
        ("language-http@7.2.10", ("@openfn/language-http", "7.2.10")),
        ("@openfn/language-http@7.2.10", ("@openfn/language-http", "7.2.10")),
        ("@openfn/language-http", ("@openfn/language-http", None)),
    ],
)
def test_adaptor_specs(spec, expected):
    assert javascript.parse_spec(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [("http@^7", "not an exact version"), ("Http Client", "not an adaptor name")])
def test_a_spec_that_names_no_exact_version_is_refused(spec, message):
    with pytest.raises(CommandError, match=message):
        javascript.parse_spec(spec)


def test_check_reports_every_error_of_every_folder_at_once(make_project, tmp_path):
    good = make_project(jobs(a="http@7.2.10"), folder="good")
    make_project("jobs:\n  a: {expression: 'fn(s => s)', trigger: nope}\n" + TRIGGER, folder="broken")
    make_project(jobs(a="http@0.0.1"), folder="missing-adaptor")

    lines, ok = check.run([tmp_path / "jobs", good, tmp_path / "nowhere"])

    assert not ok
    text = "\n".join(lines)
    assert "broken/project.yaml: jobs.a.trigger" in text
    assert "missing-adaptor/project.yaml: jobs.a.adaptor: @openfn/language-http@0.0.1 is not installed" in text
    assert f"{tmp_path / 'nowhere'}: is not a folder" in text
    assert lines[-1] == "3 project(s) loaded, 3 error(s)"  # good twice (as a folder of its own too), missing-adaptor


def test_check_passes_a_good_project_and_refuses_a_folder_without_any(make_project, tmp_path):
    good = make_project(jobs(a="http@7.2.10"), folder="good")
    assert check.run([good]) == (["1 project(s) loaded, no errors"], True)
    (tmp_path / "empty").mkdir()
    lines, ok = check.run([tmp_path / "empty"])
    assert not ok and "holds no project" in lines[0]


def _js_dir_as_installed(tmp_path):
    """A js_dir whose node_modules npm recorded as holding exactly the bundled lock (npm's hidden lockfile)."""
    js_dir = tmp_path / "js"
    (js_dir / "node_modules").mkdir(parents=True)
    lock = json.loads((javascript.bundled_js() / "package-lock.json").read_text())
    hidden = {"name": lock["name"], "lockfileVersion": lock["lockfileVersion"],
              "packages": {key: value for key, value in lock["packages"].items() if key}}  # fmt: skip
    (js_dir / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))
    return js_dir


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_install_copies_the_sources_and_leaves_node_modules_that_match_the_lock(tmp_path):
    js_dir = _js_dir_as_installed(tmp_path)
    (js_dir / "src").mkdir()
    (js_dir / "src" / "stale.mjs").write_text("// from an older package\n")

    done = javascript.install_runtime(js_dir)

    assert "as the lock pins them already" in done[-1]
    assert (js_dir / "package-lock.json").read_bytes() == (javascript.bundled_js() / "package-lock.json").read_bytes()
    assert sorted(p.name for p in (js_dir / "src").rglob("*.mjs")) == sorted(p.name for p in (javascript.bundled_js() / "src").rglob("*.mjs"))
    assert (js_dir / "node_modules" / ".installed").exists()


def test_node_modules_that_differ_from_the_lock_are_installed_again(tmp_path):
    js_dir = _js_dir_as_installed(tmp_path)
    shutil.copyfile(javascript.bundled_js() / "package-lock.json", js_dir / "package-lock.json")
    assert javascript.matches_lock(js_dir)
    hidden = json.loads((js_dir / "node_modules" / ".package-lock.json").read_text())
    hidden["packages"].popitem()
    (js_dir / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))
    assert not javascript.matches_lock(js_dir)
    (js_dir / "node_modules" / ".package-lock.json").unlink()
    assert not javascript.matches_lock(js_dir)
