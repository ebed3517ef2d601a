"""What Airflow shows under DAG import errors: problems of one kind grouped, one line per missing adaptor
version with the steps that need it and the one command, instead of one line per step."""

from __future__ import annotations

from openfn.builder.dags import ProjectLoadErrors
from openfn.errors import ProjectError
from openfn.readers.report import MISSING_ADAPTOR


def missing(step: str, spec: str) -> ProjectError:
    return ProjectError("/jobs/prod/project.yaml", f"workflows.sync.jobs.{step}.adaptor", f"{spec} is not installed",
                        fix=f"add it with `make adaptor ADD={spec}`.", group=(MISSING_ADAPTOR, spec))  # fmt: skip


def test_forty_steps_missing_two_adaptor_versions_are_two_lines_naming_the_steps_and_make_adaptors():
    problems = [missing(f"s{n:02}", "@openfn/language-dhis2@4.0.3" if n % 4 else "@openfn/language-http@6.4.3") for n in range(40)]
    other = ProjectError("/jobs/prod/project.yaml", "workflows.sync.jobs.x.expression", "does not compile", fix="correct it.")
    message = str(ProjectLoadErrors([], [*problems, other]))
    lines = message.splitlines()
    assert lines[0].startswith("3 problem(s) stop OpenFn jobs, steps or workflows from running")
    assert lines[1:] == [
        "- /jobs/prod/project.yaml: workflows.sync.jobs.x.expression: does not compile. Fix: correct it.",
        "- /jobs/prod/project.yaml: @openfn/language-http@6.4.3 is not installed; 10 steps need it (sync/s00, sync/s04, sync/s08, "
        "sync/s12, sync/s16, sync/s20, sync/s24, sync/s28 and 2 more). Fix: run `make adaptors`: it installs every adaptor version "
        "the projects name that is missing.",
        "- /jobs/prod/project.yaml: @openfn/language-dhis2@4.0.3 is not installed; 30 steps need it (sync/s01, sync/s02, sync/s03, "
        "sync/s05, sync/s06, sync/s07, sync/s09, sync/s10 and 22 more). Fix: run `make adaptors`: it installs every adaptor version "
        "the projects name that is missing.",
    ]
