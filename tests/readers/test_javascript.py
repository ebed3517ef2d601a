"""JavaScript jobs when projects load: where their code is, which installed adaptor version each runs with,
and whether it compiles. A job that cannot run is a problem of that job only: the project loads."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from openfn import settings
from openfn.errors import ProjectError
from openfn.node import check
from openfn.readers import load_project, load_projects

TRIGGER = "triggers: {t: {criteria: '{}'}}\n"


def job_yaml(expression: str = "'fn(s => s)'", adaptor: str | None = None) -> str:
    extra = f", adaptor: '{adaptor}'" if adaptor else ""
    return f"jobs: {{j: {{expression: {expression}, trigger: t{extra}}}}}\n" + TRIGGER


def test_inline_javascript_is_kept_as_written(make_project):
    folder = make_project("jobs:\n  j:\n    trigger: t\n    expression: |\n      get('/x');\n      fn(s => s);\n" + TRIGGER)
    job = load_project(folder).jobs["j"]
    assert (job.language, job.expression, job.expression_file) == ("javascript", "get('/x');\nfn(s => s);\n", None)


@pytest.mark.parametrize("expression", ["register.js", "file://register.js", "'file://./jobs/../register.js'"])
def test_a_js_file_is_found_in_the_project_folder(make_project, expression):
    folder = make_project(job_yaml(expression), files={"register.js": "fn(s => s);\n"})
    job = load_project(folder).jobs["j"]
    assert (job.language, job.expression_file, job.expression, job.problem) == ("javascript", folder / "register.js", None, None)


def test_a_file_uri_outside_the_folder_is_refused(make_project):
    folder = make_project(job_yaml("'file://../other.js'"))
    with pytest.raises(ProjectError, match=r"jobs\.j\.expression: points outside the project folder \(got '\.\./other\.js'\)"):
        load_project(folder)


@pytest.mark.parametrize(
    ("adaptor", "package", "version"),
    [
        (None, "@openfn/language-common", "3.3.4"),
        ("http", "@openfn/language-http", "7.2.10"),
        ("@openfn/language-http", "@openfn/language-http", "7.2.10"),
        ("@openfn/language-http@latest", "@openfn/language-http", "7.2.10"),
        ("language-http@6.4.3", "@openfn/language-http", "6.4.3"),
        ("@openfn/language-http@v4.0.0", "@openfn/language-http", "4.0.0"),
        ("@openfn/language-fhir", "@openfn/language-fhir", "5.0.15"),
    ],
)
def test_the_adaptor_resolves_to_an_installed_version(make_project, adaptor, package, version):
    job = load_project(make_project(job_yaml(adaptor=adaptor))).jobs["j"]
    assert (job.adaptor_package, job.adaptor_installed, job.problem) == (package, version, None)


def test_a_version_that_is_not_installed_names_the_command_that_adds_it(make_project):
    folder = make_project(job_yaml(adaptor="@openfn/language-http@3.1.11"))
    project = load_project(folder)
    expected = (
        f"{folder / 'project.yaml'}: jobs.j.adaptor: @openfn/language-http@3.1.11 is not installed "
        "(installed: 4.0.0, 6.4.3, 7.2.10). Fix: add it with `make adaptor ADD=@openfn/language-http@3.1.11`, "
        "or use an installed version ('@openfn/language-http@7.2.10', or '@openfn/language-http' for the newest); "
        "a Python adaptor `http` exists too, if you port the job to Python."
    )
    assert [str(problem) for problem in project.problems] == [expected]
    assert project.jobs["j"].problem == expected


def test_an_adaptor_with_no_javascript_install_says_so(make_project):
    project = load_project(make_project(job_yaml(adaptor="@openfn/language-dhis2@6.3.1")))
    assert project.jobs["j"].problem.endswith(
        "jobs.j.adaptor: @openfn/language-dhis2 is not installed. Fix: add it with "
        "`make adaptor ADD=@openfn/language-dhis2@6.3.1`; a Python adaptor `dhis2` exists too, if you port the job to Python."
    )


def test_a_range_is_not_an_exact_version(make_project):
    project = load_project(make_project(job_yaml(adaptor="@openfn/language-http@^7.0.0")))
    assert "jobs.j.adaptor: the adaptor version '^7.0.0' of @openfn/language-http is not an exact version" in project.jobs["j"].problem


def test_a_job_that_does_not_compile_is_a_problem_of_that_job_only(make_project):
    folder = make_project(
        "jobs:\n"
        "  bad:\n    trigger: t\n    expression: |\n      fn(s => s);\n      get('/x'\n"
        "  good: {expression: 'fn(s => s)', trigger: t}\n"
        "  lazy: {expression: 'const x = $.data;', trigger: t}\n" + TRIGGER
    )
    project = load_project(folder)
    assert project.jobs["good"].problem is None
    assert [str(p) for p in project.problems] == [
        f"{folder / 'project.yaml'}: jobs.bad.expression: does not compile (line 3, column 1 of the inline expression): "
        "Syntax error: Unexpected token. Fix: correct the JavaScript at line 3 of the inline expression.",
        f"{folder / 'project.yaml'}: jobs.lazy.expression: does not compile (line 1, column 11 of the inline expression): "
        "Lazy state error: must be inside an operation. Fix: correct the JavaScript at line 1 of the inline expression.",
    ]


def test_a_js_file_that_does_not_compile_names_the_file(make_project):
    folder = make_project(job_yaml("register.js"), files={"register.js": "fn(s => s);\n\nfn((;\n"})
    assert load_project(folder).jobs["j"].problem.endswith(
        "jobs.j.expression: does not compile (line 3, column 5 of register.js): Syntax error: Unexpected token. "
        "Fix: correct the JavaScript at line 3 of register.js."
    )


def test_an_unchanged_job_is_compiled_once(make_project, monkeypatch):
    folder = make_project(job_yaml("'fn(s => ({ ...s, unique: 8471 }))'"))
    load_project(folder)
    monkeypatch.setattr(check, "_run_checker", lambda *a, **k: pytest.fail("compiled again"))
    assert load_project(folder).jobs["j"].problem is None


def test_all_projects_are_checked_by_one_node_process(make_project, monkeypatch):
    calls = []
    real = check._run_checker
    monkeypatch.setattr(check, "_run_checker", lambda requests, **k: calls.append(len(requests)) or real(requests, **k))
    unique = uuid.uuid4().hex  # never compiled before, whatever the parse cache holds
    folders = [make_project(job_yaml(f"'fn(s => ({{ ...s, project: \"{name}-{unique}\" }}))'"), folder=name) for name in ("one", "two", "three")]
    report = load_projects(folders[0].parent)
    assert calls == [3] and report.problems == []


def test_without_node_every_javascript_job_says_how_to_install_it(make_project, monkeypatch):
    missing = dataclasses.replace(settings.get_settings(), node="/nonexistent/node")
    monkeypatch.setattr(settings, "get_settings", lambda: missing)
    project = load_project(make_project(job_yaml() + "", files={"job.py": "operations = []\n"}))
    assert project.jobs["j"].problem.endswith(
        "jobs.j: is a JavaScript job and Node.js ('/nonexistent/node') is not installed. "
        "Fix: install Node.js 20.18 or newer (`make run` and `make test` do it), or set [openfn] node to its path."
    )


def test_without_the_javascript_install_the_fix_is_make_js(make_project, monkeypatch, tmp_path):
    empty = dataclasses.replace(settings.get_settings(), js_dir=tmp_path / "js")
    monkeypatch.setattr(settings, "get_settings", lambda: empty)
    project = load_project(make_project(job_yaml()))
    assert project.jobs["j"].problem.endswith(
        f"jobs.j.adaptor: the JavaScript runtime is not installed ({tmp_path / 'js' / 'node_modules'} is missing). "
        "Fix: run `make js` (it runs `npm ci` in js/), or `make run`, which does it too."
    )
