"""``openfn-airflow check [<folder> ...]``: loads project folders as Airflow would and prints every error
at once, each with its file, key path and fix; the exit status is 1 when there is any (for CI).

A folder is a project folder (with project.yaml or openfn.yaml) or a jobs folder holding several; none:
``[openfn] jobs_dir``. JavaScript jobs are compiled against the installed adaptors, as on a worker.
"""

from __future__ import annotations

from pathlib import Path

from openfn.errors import ProjectError
from openfn.readers import load_project, load_projects
from openfn.readers.loader import CLI_FILE, PROJECT_FILE, each_error


def check_folder(folder: Path) -> tuple[int, list[ProjectError]]:
    """(projects loaded, every error and problem) of one project folder or jobs folder."""
    if (folder / PROJECT_FILE).is_file() or (folder / CLI_FILE).is_file():
        try:
            project = load_project(folder)
        except ProjectError as error:
            return 0, each_error(error)
        return 1, list(project.problems)
    report = load_projects(folder)
    return len(report.projects), [*report.errors, *report.problems]


def run(folders: list[Path]) -> tuple[list[str], bool]:
    """(lines to print, whether every folder is fine)."""
    lines: list[str] = []
    loaded = 0
    errors: list[ProjectError] = []
    for folder in folders:
        if not folder.is_dir():
            errors.append(ProjectError(str(folder), "", "is not a folder", fix="name a project folder or a folder of project folders."))
            continue
        count, found = check_folder(folder)
        if count == 0 and not found:
            found = [ProjectError(str(folder), "", "holds no project (no project.yaml, openfn.yaml, */project.yaml nor */openfn.yaml)",
                                  fix="name a project folder or a folder of project folders.")]  # fmt: skip
        loaded += count
        errors += found
    lines += [str(error) for error in errors]
    ok = not errors
    lines.append(f"{loaded} project(s) loaded, {len(errors)} error(s)" if errors else f"{loaded} project(s) loaded, no errors")
    return lines, ok
