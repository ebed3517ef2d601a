"""Imports go one way (the table below); the task side never imports the inbox (both share only
openfn.runs). This test fails when a module imports against that direction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "openfn"
# What each package must not import. The data flows readers -> model -> builder -> operators -> runtime ->
# adaptors: a package never imports one that runs after it (builder is the exception: it reads project files
# through the readers, and instantiates operators), and none imports the inbox or the UI.
NEVER = ("inbox", "ui")
FORBIDDEN = {
    "model": ("readers", "builder", "operators", "runtime", *NEVER),
    "readers": ("builder", "operators", "runtime", *NEVER),
    "builder": NEVER,
    "operators": ("readers", "builder", *NEVER),
    "runtime": ("readers", "builder", "operators", *NEVER),
    "adaptors": ("readers", "builder", "operators", *NEVER),
}


def imports(file: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", FORBIDDEN)
def test_no_module_imports_against_the_direction(package):
    wrong = {
        f"{file.relative_to(PACKAGE)} imports {name}"
        for file in (PACKAGE / package).rglob("*.py")
        for name in imports(file)
        if any(name == f"openfn.{bad}" or name.startswith(f"openfn.{bad}.") for bad in FORBIDDEN[package])
    }
    assert wrong == set()
