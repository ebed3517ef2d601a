"""Packages import one way (STYLE.md, "Packages by role, imports one way"): this test fails on an import
against that direction, naming the module, the import and the rule it breaks.

Every import in plugins/openfn is read with ``ast``, the ones inside functions and ``TYPE_CHECKING``
blocks included (a lazy import is still a dependency). ``from a import b`` counts as importing the module
``a.b`` when that module exists, else ``a``.

The task side (package level, because those packages are being reshaped):

* readers -> model -> DAG builder -> operators -> runtime -> adaptors: ``openfn.model`` imports none of the
  others, ``openfn.readers`` no DAG builder, operators or runtime, ``openfn.operators`` and
  ``openfn.runtime`` no readers or DAG builder, ``openfn.runtime`` no operators, and ``openfn.adaptors`` no
  readers, DAG builder or operators. The DAG builder (``openfn.builder``) is the exception that proves the
  direction: it reads project files through the readers and is the one place operators are instantiated.
* ``openfn.runs`` (run ids, run conf, task ids, XCom keys, outcome) is the contract both sides import: it
  imports neither side.
* No task-side package (``openfn.operators``, ``openfn.runtime``, ``openfn.model``, ``openfn.readers``,
  ``openfn.adaptors``, ``openfn.builder``) imports ``openfn.inbox`` or ``openfn.ui``.

The inbox never imports the task side (``openfn.operators``, ``openfn.runtime``, ``openfn.builder``) nor
the UI; what it shares with the operators goes through ``openfn.runs``. Inside ``openfn.inbox`` each
module belongs to one part, and a part imports only the parts its row of ``INBOX_ALLOWED`` lists:

* ``bodies``: JSON bodies (parsing, the streaming walk, the filters' shape); imports no other part.
* ``shared``: the top-level modules every part may use (``catalog``: the projects served; ``reply_answers``:
  what a sender is answered with; ``urls``); they import only ``bodies``.
* ``store``: the schema and every SQL statement; imports only ``bodies`` and ``shared``
  (intake -> store <- workers: the store never calls back into them).
* ``intake``: the senders' HTTP path; imports ``store``, ``bodies``, ``shared`` and the container.
* ``workers``: the background threads; import ``store``, ``bodies`` and ``shared``, never the container
  (it builds them) nor intake or api.
* ``api``: management and readiness routes; import ``store``, ``bodies``, ``shared`` and the container,
  which is how they reach a worker (``services.replies``...), never ``workers`` directly, nor intake.
* ``services`` (the container) builds intake's guards, the store and the workers; ``app`` assembles the
  FastAPI app from everything. ``intake`` and ``api`` import ``services`` to receive the container (the
  one cycle, through the composition root).

``openfn.sensors`` (the inbox sensor, the inbox asset and their trigger) runs in the triggerer and on workers,
which have no database: it reaches the inbox only through the api-server's watch API, and imports neither
the inbox nor the task side; ``openfn.sdk`` re-exports it with ``OpenFnJobOperator`` for hand-written DAGs.

``openfn.ui`` (Airflow UI pages and their JSON) reads through ``store``, ``api`` (login, access) and the
container; it never imports ``intake``, ``workers`` or the operators.
"""

from __future__ import annotations

import ast
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

TASK_SIDE = ("openfn.operators", "openfn.runtime", "openfn.model", "openfn.readers", "openfn.adaptors", "openfn.builder")

# (importer prefix, forbidden prefixes, the rule in words)
PACKAGE_RULES: list[tuple[str, tuple[str, ...], str]] = [
    *[(side, ("openfn.inbox", "openfn.ui"), "the task side never imports the inbox or the UI") for side in TASK_SIDE],
    ("openfn.model", ("openfn.readers", "openfn.builder", "openfn.operators", "openfn.runtime"),
     "the model is imported by readers, DAG builder and operators, never the reverse"),
    ("openfn.readers", ("openfn.builder", "openfn.operators", "openfn.runtime"), "readers -> model only, never later steps"),
    ("openfn.operators", ("openfn.readers", "openfn.builder"), "operators never reach back to the readers or the DAG builder"),
    ("openfn.runtime", ("openfn.readers", "openfn.builder", "openfn.operators"), "the runtime never reaches back to operators, DAG builder or readers"),
    ("openfn.adaptors", ("openfn.readers", "openfn.builder", "openfn.operators"), "adaptors are called by the runtime, never the reverse"),
    ("openfn.runs", ("openfn.inbox", "openfn.ui", "openfn.operators", "openfn.runtime", "openfn.builder"),
     "openfn.runs is the shared contract: it imports neither the inbox nor the task side"),
    ("openfn.inbox", ("openfn.operators", "openfn.runtime", "openfn.builder", "openfn.ui", "openfn.sensors", "openfn.sdk"),
     "the inbox never imports the task side (share through openfn.runs) nor the UI"),
    ("openfn.sensors", ("openfn.inbox", "openfn.ui", "openfn.builder", "openfn.operators", "openfn.runtime"),
     "the inbox sensor and asset reach the inbox only through its watch API (HTTP): triggers and tasks have no database"),
    ("openfn.ui", ("openfn.operators", "openfn.builder", "openfn.inbox.intake", "openfn.inbox.workers"),
     "the UI reads through the store, the api's access checks and the services container"),
]

SHARED = {"catalog", "reply_answers", "urls"}
INBOX_ALLOWED: dict[str, set[str]] = {
    "bodies": set(),
    "shared": {"bodies"},
    "store": {"bodies", "shared"},
    "intake": {"store", "bodies", "shared", "services"},
    "workers": {"store", "bodies", "shared"},
    "api": {"store", "bodies", "shared", "services"},
    "services": {"intake", "store", "workers", "bodies", "shared"},
    "app": {"intake", "store", "workers", "api", "bodies", "shared", "services"},
    "package": set(),  # openfn/inbox/__init__.py
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PLUGINS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    base = PLUGINS.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import in the file, relative ones resolved."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if is_module(full) else base))
    return [(line, name) for line, name in found if name == "openfn" or name.startswith("openfn.")]


def inbox_part(module: str) -> str | None:
    """The part of the inbox ``module`` belongs to (see the module doc), None outside the inbox."""
    parts = module.split(".")
    if parts[:2] != ["openfn", "inbox"]:
        return None
    if len(parts) == 2:
        return "package"
    return "shared" if parts[2] in SHARED else parts[2]


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(path: Path) -> list[str]:
    module = module_name(path)
    where = path.relative_to(PLUGINS.parent)
    found = []
    for line, imported in imports_of(path):
        for importer, forbidden, rule in PACKAGE_RULES:
            if within(module, importer) and any(within(imported, f) for f in forbidden):
                found.append(f"{where}:{line}: {module} imports {imported}: {rule}")
        source, target = inbox_part(module), inbox_part(imported)
        if source is not None and target is not None and target != source and target != "package":
            if target not in INBOX_ALLOWED[source]:
                allowed = ", ".join(sorted(INBOX_ALLOWED[source])) or "no other part"
                found.append(f"{where}:{line}: {module} imports {imported}: inbox {source} may import {allowed}, not {target}")
    return found


def all_modules() -> list[Path]:
    return sorted((PLUGINS / "openfn").rglob("*.py"))


def test_every_import_goes_the_allowed_direction():
    found = [problem for path in all_modules() for problem in violations(path)]
    assert found == [], "imports against the direction of tests/test_architecture.py:\n" + "\n".join(found)


def test_the_checker_sees_lazy_relative_and_from_imports(tmp_path, monkeypatch):
    fake = tmp_path / "plugins"
    (fake / "openfn" / "inbox" / "store").mkdir(parents=True)
    (fake / "openfn" / "inbox" / "workers").mkdir(parents=True)
    for package in ("openfn", "openfn/inbox", "openfn/inbox/store", "openfn/inbox/workers"):
        (fake / package / "__init__.py").write_text("")
    (fake / "openfn" / "inbox" / "workers" / "writer.py").write_text("")
    (fake / "openfn" / "inbox" / "store" / "rows.py").write_text(
        "from ..workers import writer\n\ndef later():\n    import openfn.operators.job\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["PLUGINS"]), "PLUGINS", fake)
    assert violations(fake / "openfn" / "inbox" / "store" / "rows.py") == [
        "plugins/openfn/inbox/store/rows.py:1: openfn.inbox.store.rows imports openfn.inbox.workers.writer: "
        "inbox store may import bodies, shared, not workers",
        "plugins/openfn/inbox/store/rows.py:4: openfn.inbox.store.rows imports openfn.operators.job: "
        "the inbox never imports the task side (share through openfn.runs) nor the UI",
    ]


def test_every_inbox_module_belongs_to_a_known_part():
    parts = {inbox_part(module_name(path)) for path in (PLUGINS / "openfn" / "inbox").rglob("*.py")}
    assert parts - set(INBOX_ALLOWED) == set()
