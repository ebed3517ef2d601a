"""JavaScript jobs, once their project is read: the installed adaptor version each runs with, and whether
its expression compiles. A job that cannot run keeps its DAG (its runs fail at once, saying why) and the
problem is reported with the project's errors; the project's other jobs are unaffected."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from openfn.errors import ProjectError
from openfn.readers._jobs import python_adaptor_exists
from openfn.readers.report import MISSING_ADAPTOR
from openfn.model.workflow import Step


@dataclasses.dataclass(frozen=True)
class Toolchain:
    js_dir: Path
    node: str

    @classmethod
    def from_settings(cls) -> Toolchain:
        from openfn.settings import get_settings

        settings = get_settings()
        return cls(js_dir=settings.js_dir, node=settings.node)


def _problem(file: Path, key: str, problem: str, fix: str, group: tuple[str, str] | None = None) -> ProjectError:
    return ProjectError(str(file), key, problem, fix=fix, group=group)


def _missing(adaptor, version: str | None) -> tuple[str, str] | None:
    """The group of an adaptor version that is simply not installed (what `make adaptors` installs)."""
    if " is not installed" not in (adaptor.problem or "") or not adaptor.problem.startswith("@openfn/"):
        return None
    return MISSING_ADAPTOR, f"{adaptor.package}@{version}" if version not in (None, "", "latest") else adaptor.package


def resolve_adaptors(file: Path, jobs: dict[str, Step], toolchain: Toolchain) -> tuple[dict[str, Step], list[ProjectError]]:
    """Each JavaScript job with its installed adaptor version, or with the problem (and the fix)."""
    problems: list[ProjectError] = []
    resolved = dict(jobs)
    node_found = None
    for key, job in jobs.items():
        if job.language != "javascript" or job.problem is not None:
            continue
        if node_found is None:
            node_found = shutil.which(toolchain.node) is not None
        if not node_found:
            error = _problem(file, job.where, f"is a JavaScript job and Node.js ({toolchain.node!r}) is not installed",
                             "install Node.js 20.18 or newer (`make run` and `make test` do it), or set [openfn] node to its path.")  # fmt: skip
        else:
            from openfn.node import install  # only a project with JavaScript needs Node's tooling

            adaptor = install.resolve(toolchain.js_dir, job.adaptor, job.adaptor_version, python_adaptor=python_adaptor_exists(job.adaptor))
            if adaptor.problem is None:
                resolved[key] = dataclasses.replace(job, adaptor_package=adaptor.package, adaptor_installed=adaptor.version)
                continue
            error = _problem(file, f"{job.where}.adaptor", adaptor.problem, adaptor.fix or "", _missing(adaptor, job.adaptor_version))
        problems.append(error)
        resolved[key] = dataclasses.replace(job, problem=str(error))
    return resolved, problems


def source_of(job: Step) -> str:
    return job.expression if job.expression is not None else job.expression_file.read_text(encoding="utf-8")


def check_compiles(projects: list[tuple[Path, dict[str, Step]]], toolchain: Toolchain) -> list[tuple[dict[str, Step], list[ProjectError]]]:
    """Compile every runnable JavaScript job of ``projects`` (one Node process for all those not cached)."""
    from openfn.node.check import CheckRequest, check

    requests = []
    for index, (_file, jobs) in enumerate(projects):
        for key, job in jobs.items():
            if job.language == "javascript" and job.problem is None and job.adaptor_installed:
                try:
                    source = source_of(job)
                except (OSError, UnicodeDecodeError):
                    continue  # reported when it runs; the loader already checked the file exists
                requests.append(CheckRequest(id=f"{index}\0{key}", expression=source, package=job.adaptor_package, version=job.adaptor_installed))
    results = check(requests, node=toolchain.node, js_dir=toolchain.js_dir) if requests else {}
    checked = []
    for index, (file, jobs) in enumerate(projects):
        jobs = dict(jobs)
        problems = []
        for key, job in jobs.items():
            problem = results.get(f"{index}\0{key}")
            if problem is None:
                continue
            where = "the inline expression" if job.expression is not None else job.expression_file.name
            at = f" (line {problem.line}, column {problem.column} of {where})" if problem.line else f" ({where})"
            fix = f"correct the JavaScript at line {problem.line} of {where}." if problem.line else f"correct the JavaScript of {where}."
            error = _problem(file, f"{job.where}.expression", f"does not compile{at}: {problem.message}", fix)
            problems.append(error)
            jobs[key] = dataclasses.replace(job, problem=str(error))
        checked.append((jobs, problems))
    return checked
