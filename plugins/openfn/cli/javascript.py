"""The JavaScript side on disk: OpenFn's runtime, our compiler and the adaptors in ``[openfn] js_dir``.

This package carries the JavaScript sources (js/src), js/package.json and js/package-lock.json: in a
checkout they are js/ itself, in an installed package ``openfn/_js``. ``install_runtime`` puts them into
``js_dir`` (a folder the workers can write to) and runs ``npm ci`` there, so a worker runs exactly the
versions the lock pins; adaptor versions added to ``js_dir`` since are added again on top.
``add_adaptors`` records new adaptor versions in ``js_dir``'s package.json and package-lock.json.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from openfn.errors import OpenFnError
from openfn.node.install import ALIAS, EXACT, MIN_NODE, node_version
from openfn.settings import PACKAGE_DIR, REPO_ROOT, from_checkout

NPM_QUIET = ["--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
MANIFESTS = ("package.json", "package-lock.json")


class CommandError(OpenFnError):
    """A command that cannot do what it was asked; the message says why and the fix what to do."""


def bundled_js() -> Path:
    """The JavaScript sources and lock this package carries."""
    return REPO_ROOT / "js" if from_checkout() else PACKAGE_DIR / "_js"


@dataclass(frozen=True)
class AdaptorVersion:
    package: str  # @openfn/language-http
    version: str  # 7.2.10

    @property
    def alias(self) -> str:
        """The name it is installed under, one folder per version (as OpenFn's CLI lays out its repository)."""
        return f"{self.package}_{self.version}"

    @property
    def npm_spec(self) -> str:
        return f"{self.alias}@npm:{self.package}@{self.version}"

    def __str__(self) -> str:
        return f"{self.package}@{self.version}"


def adaptor_package(name: str) -> str:
    """'http', 'language-http' or '@openfn/language-http' -> '@openfn/language-http'."""
    name = name.strip().removeprefix("@openfn/").removeprefix("language-")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise CommandError(f"{name!r} is not an adaptor name", fix="name one such as http or @openfn/language-http.")
    return f"@openfn/language-{name}"


def parse_spec(spec: str) -> tuple[str, str | None]:
    """'@openfn/language-http@7.2.10', 'http@7.2.10', 'http' -> (package, version or None for the newest)."""
    spec = spec.strip()
    name, version = spec, None
    if "@" in spec[1:]:  # a version after the scope's own leading @
        name, _, version = spec.rpartition("@")
    if version in ("", "latest"):
        version = None
    package = adaptor_package(name)
    if version is not None and not EXACT.match(version):
        raise CommandError(f"{version!r} is not an exact version of {package}", fix=f"name one such as {package}@7.2.10.")
    return package, version


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise CommandError(f"{argv[0]} is not installed", fix="install Node.js 20.18 or newer with npm.") from None


def _npm(args: list[str], cwd: Path) -> None:
    result = _run(["npm", *args], cwd)
    if result.returncode != 0:
        raise CommandError(f"npm {' '.join(args[:2])} failed in {cwd}:\n{(result.stderr or result.stdout).strip()}",
                           fix="see npm's message above; the registry must be reachable from this machine.")  # fmt: skip


def registry_version(package: str, version: str | None) -> str | None:
    """The version the npm registry serves for ``package`` (``version`` None: its newest), or None."""
    result = _run(["npm", "view", f"{package}@{version}" if version else package, "version", "--json"], Path.cwd())
    if result.returncode != 0 or not result.stdout.strip():
        return None
    found = json.loads(result.stdout)
    found = found[-1] if isinstance(found, list) and found else found
    return found if isinstance(found, str) and found else None


def check_node(node: str) -> None:
    found = node_version(node)
    if found is None:
        raise CommandError(f"Node.js ({node!r}) is not installed", fix="install Node.js 20.18 or newer, or set [openfn] node to its path.")
    if found < MIN_NODE:
        raise CommandError(f"Node.js {found[0]}.{found[1]} ({node!r}) is too old for JavaScript jobs",
                           fix="install Node.js 20.18 or newer, or set [openfn] node to its path.")  # fmt: skip


def _adaptor_aliases(package_json: Path) -> dict[str, str]:
    """alias -> npm spec of every adaptor version a package.json lists."""
    if not package_json.is_file():
        return {}
    dependencies = json.loads(package_json.read_text(encoding="utf-8")).get("dependencies", {})
    return {alias: spec for alias, spec in dependencies.items() if ALIAS.match(alias)}


def matches_lock(js_dir: Path) -> bool:
    """Whether node_modules holds exactly what package-lock.json pins (npm's own record of what it installed,
    node_modules/.package-lock.json, lists the same packages): then ``npm ci`` would change nothing."""
    try:
        pinned = json.loads((js_dir / "package-lock.json").read_text(encoding="utf-8"))["packages"]
        installed = json.loads((js_dir / "node_modules" / ".package-lock.json").read_text(encoding="utf-8"))["packages"]
    except (OSError, ValueError, KeyError):
        return False
    return {key: value for key, value in pinned.items() if key} == installed


def install_runtime(js_dir: Path, node: str = "node") -> list[str]:
    """The runtime and adaptors of the lock into ``js_dir``; returns what was done, line by line."""
    check_node(node)
    source = bundled_js()
    done = []
    extra: dict[str, str] = {}
    if js_dir.resolve() != source.resolve():
        bundled = _adaptor_aliases(source / "package.json")
        extra = {alias: spec for alias, spec in _adaptor_aliases(js_dir / "package.json").items() if alias not in bundled}
        js_dir.mkdir(parents=True, exist_ok=True)
        for name in MANIFESTS:
            shutil.copyfile(source / name, js_dir / name)
        staged = js_dir / "src.new"
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(source / "src", staged)
        shutil.rmtree(js_dir / "src", ignore_errors=True)
        staged.rename(js_dir / "src")
        done.append(f"Copied the JavaScript sources, package.json and package-lock.json of this package into {js_dir}")
    count = len(_adaptor_aliases(js_dir / "package.json"))
    if matches_lock(js_dir):
        done.append(f"OpenFn's runtime and {count} adaptor versions in {js_dir / 'node_modules'} are as the lock pins them already")
    else:
        _npm(["ci", *NPM_QUIET], js_dir)
        done.append(f"Installed OpenFn's runtime and {count} adaptor versions in {js_dir} (npm ci)")
    if extra:
        _npm(["install", "--save-exact", *NPM_QUIET, *(f"{alias}@{spec}" for alias, spec in sorted(extra.items()))], js_dir)
        done.append(f"Added again the adaptor versions installed here before: {', '.join(sorted(extra))}")
    (js_dir / "node_modules" / ".installed").touch()
    return done


def add_adaptors(js_dir: Path, versions: list[AdaptorVersion]) -> None:
    """Install ``versions`` into ``js_dir`` (one npm call) and record them in its package.json and lock."""
    if not versions:
        return
    if not (js_dir / "package.json").is_file():
        raise CommandError(f"{js_dir} holds no JavaScript runtime (no package.json)", fix="run `openfn-airflow js install` first.")
    _npm(["install", "--save-exact", *NPM_QUIET, *(version.npm_spec for version in versions)], js_dir)
    (js_dir / "node_modules" / ".installed").touch()
