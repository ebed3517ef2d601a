"""``openfn-airflow adaptors install``: every adaptor version the projects name and ``js_dir`` lacks, in one
go; ``openfn-airflow adaptors add <spec>``: one more version.

A JavaScript step names its adaptor with an exact version (``@openfn/language-http@7.2.10``), or none /
``latest`` (then any installed version serves, the newest; with none installed, the registry's newest is
added). Versions are looked up in the npm registry first, so that one the registry cannot give is listed
rather than failing the others; the rest are installed with one npm call, which updates package.json and
package-lock.json (in a checkout: js/, to commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openfn.cli.javascript import AdaptorVersion, CommandError, add_adaptors, install_runtime, parse_spec, registry_version
from openfn.model import Project
from openfn.node.install import EXACT, installed_adaptors


@dataclass(frozen=True)
class Wanted:
    package: str
    version: str | None  # None: any installed version (the newest)
    where: tuple[str, ...]  # "<project file>: <key path>" of every step that names it

    def __str__(self) -> str:
        return f"{self.package}@{self.version}" if self.version else f"{self.package} (newest)"


@dataclass
class Plan:
    missing: list[Wanted] = field(default_factory=list)
    unusable: list[tuple[Wanted, str]] = field(default_factory=list)  # (what, why it cannot be installed)


def javascript_steps(projects: list[Project]):
    """(project, step) of every JavaScript step: v1 jobs and workflow steps alike."""
    for project in projects:
        for step in project.jobs.values():
            if step.language == "javascript":
                yield project, step
        for workflow in project.workflows.values():
            for step in workflow.steps.values():
                if step.language == "javascript":
                    yield project, step


def plan(projects: list[Project], installed: dict[str, tuple[str, ...]]) -> Plan:
    """What the projects' JavaScript steps name that ``installed`` (package -> versions) lacks."""
    named: dict[tuple[str, str | None], list[str]] = {}
    for project, step in javascript_steps(projects):
        version = None if step.adaptor_version in (None, "", "latest") else step.adaptor_version
        named.setdefault((f"@openfn/language-{step.adaptor}", version), []).append(f"{project.file}: {step.where}")
    result = Plan()
    for (package, version), where in sorted(named.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        wanted = Wanted(package, version, tuple(where))
        if version is not None and not EXACT.match(version):
            result.unusable.append((wanted, f"{version!r} is not an exact version: name one, such as {package}@1.2.3"))
        elif (version is None and installed.get(package)) or version in installed.get(package, ()):
            continue
        else:
            result.missing.append(wanted)
    return result


def install_missing(projects: list[Project], js_dir: Path, node: str) -> tuple[list[str], list[str]]:
    """Install what the projects name and ``js_dir`` lacks: (lines of what was done, lines of what could not be)."""
    done: list[str] = []
    if not (js_dir / "node_modules").is_dir() or not (js_dir / "package.json").is_file():
        done += install_runtime(js_dir, node)  # the runtime first: adaptors go into its package.json
    found = plan(projects, installed_adaptors(js_dir))
    failed = [f"{wanted}: {why} (named at {', '.join(wanted.where)})" for wanted, why in found.unusable]
    versions: list[AdaptorVersion] = []
    for wanted in found.missing:
        served = registry_version(wanted.package, wanted.version)
        if served is None:
            failed.append(f"{wanted}: the npm registry has no such version (named at {', '.join(wanted.where)})")
        elif AdaptorVersion(wanted.package, served) not in versions:
            versions.append(AdaptorVersion(wanted.package, served))
    add_adaptors(js_dir, versions)
    done += [f"Installed {version}" for version in versions]
    if not versions and not failed:
        done.append("Every adaptor version the projects name is installed.")
    elif versions:
        done.append(f"Updated {js_dir / 'package.json'} and package-lock.json" + (": commit both." if _is_checkout(js_dir) else "."))
    return done, failed


def add(js_dir: Path, specs: list[str]) -> list[str]:
    """``openfn-airflow adaptors add``: each spec's version (none: the registry's newest) into ``js_dir``."""
    versions = []
    for spec in specs:
        package, version = parse_spec(spec)
        served = registry_version(package, version)
        if served is None:
            raise CommandError(f"the npm registry has no {package}@{version or 'latest'}", fix="check the name and the version on npmjs.com.")
        versions.append(AdaptorVersion(package, served))
    add_adaptors(js_dir, versions)
    return [f"Added {version}" for version in versions] + [
        f"Updated {js_dir / 'package.json'} and package-lock.json" + (": commit both." if _is_checkout(js_dir) else ".")]


def _is_checkout(js_dir: Path) -> bool:
    from openfn.cli.javascript import bundled_js

    return js_dir.resolve() == bundled_js().resolve()
