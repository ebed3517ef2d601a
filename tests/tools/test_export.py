"""`make export`: a Lightning project loaded here, written back in Lightning's formats, loads again into the
same workflows (round trip, from each fixture and each format)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from openfn.readers import load_project
from openfn.tools.export import export, main
from tests.dags.conftest import FIXTURES


def comparable(project) -> dict:
    """What a workflow means, without where it was read from."""
    def step(s):
        source = s.expression if s.expression is not None else s.expression_file.read_text()
        credential = (s.credential.name, s.credential.owner) if s.credential else None  # the key differs by format
        return (s.name, s.source_key, s.adaptor, s.adaptor_version, source, credential)

    return {
        workflow.name: (
            {key: step(s) for key, s in workflow.steps.items()},
            {key: dataclasses.asdict(t) for key, t in workflow.triggers.items()},
            sorted(dataclasses.astuple(e) for e in workflow.edges),
        )
        for workflow in project.workflows.values()
    }


@pytest.mark.parametrize("fixture", ["referrals", "portability", "checkout"])
@pytest.mark.parametrize("fmt", ["lightning", "portability"])
def test_a_project_written_back_loads_into_the_same_workflows(fixture, fmt, tmp_path):
    original = load_project(FIXTURES / "lightning" / fixture)
    folder = tmp_path / fixture
    folder.mkdir()
    (folder / "project.yaml").write_text(export(FIXTURES / "lightning" / fixture, fmt))
    again = load_project(folder)
    assert again.problems == ()
    assert comparable(again) == comparable(original)


def test_the_lightning_format_is_lightnings_own(capsys):
    assert main([str(FIXTURES / "lightning" / "referrals")]) == 0
    written = yaml.safe_load(capsys.readouterr().out)
    original = yaml.safe_load((FIXTURES / "lightning" / "referrals" / "project.yaml").read_text())
    for data in (written, original):
        data.pop("collections", None)
        for workflow in data["workflows"].values():
            for edge in workflow["edges"].values():
                edge["condition_expression"] = (edge.get("condition_expression") or "").strip() or None
                if edge["condition_expression"] is None:
                    edge.pop("condition_expression")
    assert written == original


def test_a_v1_project_is_refused_with_the_reason():
    with pytest.raises(SystemExit, match=r"a v1 project \(jobs and triggers\), not a Lightning one"):
        export(FIXTURES / "exports" / "v1-platform")


@pytest.mark.parametrize("fmt", ["lightning", "portability"])
def test_a_python_step_is_written_back_as_the_name_of_its_file(fmt, tmp_path):
    import shutil

    folder = tmp_path / "mixed"
    shutil.copytree(FIXTURES / "lightning" / "mixed", folder)
    written = export(FIXTURES / "lightning" / "mixed", fmt)
    (folder / "project.yaml").write_text(written)
    again = load_project(folder)
    assert "tidy_name.py" in written and again.problems == ()
    assert comparable(again) == comparable(load_project(FIXTURES / "lightning" / "mixed"))
    assert again.workflows["intake"].steps["tidy-name"].language == "python"


def test_lightnings_state_is_written_back_as_its_export_with_concurrency_and_job_logs(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "project.yaml").write_text(export(FIXTURES / "lightning" / "state", "lightning"))
    original, again = load_project(FIXTURES / "lightning" / "state"), load_project(folder)
    assert comparable(again) == comparable(original)
    (workflow,) = again.workflows.values()
    assert (workflow.concurrency, workflow.job_logs) == (2, False)
