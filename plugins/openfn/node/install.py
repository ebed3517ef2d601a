"""What the JavaScript install holds, and which installed version a job's adaptor specifier means.

``js/package.json`` lists each adaptor under an npm alias that carries its version
(``"@openfn/language-http_7.2.10": "npm:@openfn/language-http@7.2.10"``, as OpenFn's CLI lays out its
module repository); ``npm ci`` installs them from ``js/package-lock.json``. Nothing is ever installed at
run time: a version that is not in the install is reported with the command that adds it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ALIAS = re.compile(r"^(@openfn/language-[a-z0-9-]+)_(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$")
EXACT = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
MIN_NODE = (20, 18)


def _checkout() -> bool:
    from openfn.settings import from_checkout

    return from_checkout()


def add_command(spec: str) -> str:
    """The command that adds adaptor version ``spec`` here: make on a checkout, the package's own command else."""
    return f"make adaptor ADD={spec}" if _checkout() else f"openfn-airflow adaptors add {spec}"


def install_hint() -> str:
    if _checkout():
        return "run `make js` (it runs `npm ci` in js/), or `make run`, which does it too."
    return "run `openfn-airflow js install` where the workers run (it installs the runtime and adaptors into [openfn] js_dir)."


@dataclass(frozen=True)
class Adaptor:
    """A job's JavaScript adaptor: the npm package and the installed version it runs with, or the problem."""

    package: str
    version: str | None = None
    problem: str | None = None
    fix: str | None = None

    @property
    def specifier(self) -> str:
        return f"{self.package}@{self.version}" if self.version else self.package


def version_key(version: str) -> tuple:
    core, _, pre = version.partition("-")
    return (*(int(part) for part in core.split(".")), pre == "", pre)


_installed: dict[Path, tuple[tuple[int, int], dict[str, tuple[str, ...]]]] = {}


def installed_adaptors(js_dir: Path) -> dict[str, tuple[str, ...]]:
    """package -> installed versions, oldest first (re-read when package.json or node_modules changes)."""
    try:
        stamp = (js_dir.joinpath("package.json").stat().st_mtime_ns, js_dir.joinpath("node_modules").stat().st_mtime_ns)
    except FileNotFoundError:
        return {}
    cached = _installed.get(js_dir)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    dependencies = json.loads(js_dir.joinpath("package.json").read_text(encoding="utf-8")).get("dependencies", {})
    found: dict[str, list[str]] = {}
    for alias in dependencies:
        match = ALIAS.match(alias)
        if match and js_dir.joinpath("node_modules", alias, "package.json").is_file():
            found.setdefault(match.group(1), []).append(match.group(2))
    result = {package: tuple(sorted(versions, key=version_key)) for package, versions in found.items()}
    _installed[js_dir] = (stamp, result)
    return result


def resolve(js_dir: Path, name: str, version: str | None, *, python_adaptor: bool = False) -> Adaptor:
    """The installed version for adaptor ``name`` ('http') at ``version`` (None or 'latest': the newest)."""
    package = f"@openfn/language-{name}"
    if not js_dir.joinpath("node_modules").is_dir():
        return Adaptor(package, problem=f"the JavaScript runtime is not installed ({js_dir / 'node_modules'} is missing)",
                       fix=install_hint())
    versions = installed_adaptors(js_dir).get(package, ())
    wanted = None if version in (None, "", "latest") else version
    if wanted is None and versions:
        return Adaptor(package, version=versions[-1])
    if wanted in versions:
        return Adaptor(package, version=wanted)
    spec = f"{package}@{wanted}" if wanted and EXACT.match(wanted) else package
    if wanted and not EXACT.match(wanted):
        problem = f"the adaptor version {wanted!r} of {package} is not an exact version"
    elif versions:
        problem = f"{spec} is not installed (installed: {', '.join(versions)})"
    else:
        problem = f"{package} is not installed"
    fix = f"add it with `{add_command(spec)}`"
    if versions:
        fix += f", or use an installed version ('{package}@{versions[-1]}', or '{package}' for the newest)"
    if python_adaptor:
        fix += f"; a Python adaptor `{name}` exists too, if you port the job to Python"
    return Adaptor(package, problem=problem, fix=fix + ".")


def node_version(node: str) -> tuple[int, int] | None:
    """The (major, minor) of the Node.js binary, or None when it cannot be run."""
    if shutil.which(node) is None:
        return None
    try:
        output = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"v(\d+)\.(\d+)", output.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None
