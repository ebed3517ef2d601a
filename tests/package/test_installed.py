"""The package as users install it: ``python -m build`` makes the sdist and, from it, the wheel; the wheel
goes into a fresh virtualenv; Airflow runs from that virtualenv with an empty plugins folder, a DAGs
folder holding only the documented line (deploy/package/dags, docs/install.md) and the JavaScript runtime that
``openfn-airflow js install`` puts in place. A message then runs a JavaScript job, and a webhook a
Lightning workflow (a Python step, then a JavaScript step), end to end.

Installing Airflow from PyPI into the virtualenv would take minutes, so the virtualenv sees the test
venv's packages through a .pth file, the way ``--system-site-packages`` shows a base's: pip still
resolves the wheel's declared dependency ranges against them (``--no-index``: a range that the installed
Airflow does not fit fails the install), and this checkout is on no path: the components start in an
empty folder, and ``openfn`` must come from the virtualenv's own site-packages. node_modules comes from
the checkout's install as hard links (``js install`` then finds it as the lock pins it and keeps it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.support.airflow_env import REPO
from tests.support.airflow_server import COMPONENTS, AirflowDeployment
from tests.support.templates import migrated_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# The two DAG files users put into their DAGs folder (docs/install.md; deploy/package/Dockerfile copies them).
DAG_FILES = REPO / "deploy" / "package" / "dags"
GREETER = """\
name: greeter
jobs:
  greet:
    expression: |
      fn(state => ({ ...state, data: { greeting: `Hello, ${state.data.name}` } }));
    adaptor: '@openfn/language-common@3.3.4'
    trigger: hello
triggers:
  hello:
    criteria: '{"kind": "hello"}'
"""


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)


def _sources(root: Path) -> Path:
    """What ``python -m build`` needs of this checkout (git's files, without node_modules), in a copy: the
    build writes build/ and *.egg-info next to the sources."""
    copy = root / "src"
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "pyproject.toml", "setup.py", "README.md",
                  "plugins/openfn", "js/package.json", "js/package-lock.json", "js/src"], cwd=REPO, check=True).stdout.split()  # fmt: skip
    for name in listed:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(virtualenv's bin folder, its site-packages, a clean environment to run in, an empty working folder)."""
    root = tmp_path_factory.mktemp("package")
    built = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(root / "dist"), str(_sources(root))])
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (root / "dist").glob("openfn_airflow-*.whl")
    assert len(list((root / "dist").glob("openfn*airflow-*.tar.gz"))) == 1

    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True).stdout.strip())
    (site / "test_venv_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    work = root / "work"
    work.mkdir()
    pip = run([str(python), "-m", "pip", "install", "--no-index", "--no-cache-dir", "--disable-pip-version-check", str(wheel)], env=env, cwd=work)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv / "bin", site, env, work


@pytest.fixture(scope="module")
def deployment(installed, postgres_server, tmp_path_factory):
    bin_dir, _site, env, work = installed
    root = tmp_path_factory.mktemp("package-airflow")
    jobs, dags, plugins, js_dir = root / "jobs", root / "dags", root / "plugins", root / "js"
    (jobs / "greeter").mkdir(parents=True)
    (jobs / "greeter" / "project.yaml").write_text(GREETER)
    shutil.copytree(REPO / "tests" / "fixtures" / "lightning" / "mixed", jobs / "mixed")
    dags.mkdir()
    plugins.mkdir()
    for file in DAG_FILES.glob("*.py"):
        shutil.copyfile(file, dags / file.name)
    js_dir.mkdir()
    run(["cp", "-al", str((REPO / "js" / "node_modules").resolve()), str(js_dir / "node_modules")], check=True)
    settings = {"AIRFLOW__OPENFN__JOBS_DIR": str(jobs), "AIRFLOW__OPENFN__JS_DIR": str(js_dir),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
                "AIRFLOW__OPENFN__DISPATCH_SWEEP_SECONDS": "2"}  # fmt: skip
    setup = run([str(bin_dir / "openfn-airflow"), "js", "install"], env={**env, "AIRFLOW_HOME": str(root / "home"), **settings}, cwd=work)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "as the lock pins them already" in setup.stdout, setup.stdout

    airflow = AirflowDeployment(root / "home", jobs_dir=jobs, db_uri=migrated_database(postgres_server, "airflow_package"), migrated=True,
                                extra_env=settings)  # fmt: skip
    airflow.env = {key: value for key, value in airflow.env.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    airflow.env["PATH"] = env["PATH"]
    airflow.cwd = work
    for component in COMPONENTS:
        airflow.commands[component] = ([str(bin_dir / "python"), "-m", "airflow", component], airflow.env)
    try:
        airflow.start()
        # The execution API builds its versioned routes at its first request, holding the api-server for
        # as long as that takes (tens of seconds on a busy machine): have it done before the first task.
        httpx.get(f"{airflow.url}/execution/health", timeout=600)
        airflow.wait_for_dags(["greeter.greet", "mixed.intake"])
        yield airflow
    finally:
        airflow.stop()


def test_the_package_comes_from_the_virtualenv_and_its_command_checks_projects(installed, tmp_path):
    bin_dir, site, env, work = installed
    where = run([str(bin_dir / "python"), "-c", "import openfn, sys; print(openfn.__file__); print(sys.path)"], env=env, cwd=work)
    assert where.stdout.splitlines()[0] == str(site / "openfn" / "__init__.py")
    assert str(REPO / "plugins") not in where.stdout
    bundled = site / "openfn" / "_js"
    assert {p.name for p in bundled.iterdir()} == {"package.json", "package-lock.json", "src"}
    assert (site / "openfn" / "ui" / "static" / "inbox.html").is_file() and (site / "openfn" / "adaptors" / "http.py").is_file()

    broken = tmp_path / "jobs" / "broken"
    broken.mkdir(parents=True)
    (broken / "project.yaml").write_text("jobs:\n  a: {expression: 'fn(s => s)', trigger: nope, adaptor: 'http@0.0.1'}\n")
    checked = run([str(bin_dir / "openfn-airflow"), "--js-dir", str(REPO / "js"), "check", str(tmp_path / "jobs")],
                  env={**env, "AIRFLOW_HOME": str(tmp_path / "home")}, cwd=work)  # fmt: skip
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "broken/project.yaml: jobs.a.trigger" in checked.stdout


def test_airflow_registers_the_plugin_through_the_entry_point(deployment):
    plugins = deployment.api("GET", "/api/v2/plugins").json()["plugins"]
    (openfn,) = [p for p in plugins if p["name"] == "openfn"]
    assert "openfn-airflow" in openfn["source"] and "openfn.plugin" in openfn["source"], openfn
    assert deployment.api("GET", "/openfn/ready").status_code == 200


def _inbox_urls(deployment, project: str) -> dict:
    (listed,) = [p for p in deployment.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == project]
    return listed


def _receipt(deployment, message_id: str) -> dict:
    def finished():
        receipt = deployment.api("GET", f"/openfn/api/messages/{message_id}").json()
        runs = receipt.get("runs") or []
        return receipt if runs and all(r["state"] in ("success", "failed") for r in runs) else None

    return deployment.wait_for(finished, f"the runs of message {message_id}", timeout=240)


def _result(deployment, dag_id: str, run_id: str, task: str) -> dict:
    """The final state: XCom return_value of a v1 job's task ``run`` or of a workflow's ``openfn_result``."""
    reply = deployment.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/return_value")
    assert reply.status_code == 200, reply.text
    return reply.json()["value"]


def test_a_message_runs_a_javascript_job_and_a_webhook_a_lightning_workflow(deployment):
    reply = httpx.post(_inbox_urls(deployment, "greeter")["inbox_url"], json={"kind": "hello", "name": "Ana"}, timeout=30)
    assert reply.status_code == 202, reply.text
    receipt = _receipt(deployment, reply.json()["meta"]["message_id"])
    (run,) = receipt["runs"]
    assert (run["dag_id"], run["state"]) == ("greeter.greet", "success"), receipt
    assert _result(deployment, "greeter.greet", run["run_id"], "run")["data"] == {"greeting": "Hello, Ana"}

    (workflow,) = [w for w in _inbox_urls(deployment, "mixed")["workflows"] if w["key"] == "intake"]
    (hook,) = [t for t in workflow["triggers"] if t["kind"] == "webhook"]
    reply = httpx.post(hook["inbox_url"], json={"name": "  bob  "}, timeout=30)
    assert reply.status_code == 202, reply.text
    (run,) = _receipt(deployment, reply.json()["meta"]["message_id"])["runs"]
    assert (run["dag_id"], run["state"]) == ("mixed.intake", "success"), run
    assert {s["step"]: s["state"] for s in run["steps"]} == {"tidy-name": "success", "greet": "success", "report-problem": "skipped",
                                                          "openfn_result": "success"}  # fmt: skip
    assert _result(deployment, "mixed.intake", run["run_id"], "openfn_result")["data"]["greeting"] == "Hello, Bob"
