"""The runner contract's registry: runners are found by language and imported only when one runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openfn.runtime.python import PythonRunner
from openfn.runtime.runner import RUNNERS, runner_for
from tests.support.airflow_env import REPO


def test_each_language_has_its_runner():
    assert sorted(RUNNERS) == ["javascript", "python"]
    assert isinstance(runner_for("python"), PythonRunner)
    assert type(runner_for("javascript")).__name__ == "JavaScriptRunner"


def test_an_unknown_language_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"^language must be one of python, javascript, got 'ruby'$"):
        runner_for("ruby")


def test_the_contract_module_imports_no_runner():
    code = "import sys, openfn.runtime.runner; print(sorted(m for m in sys.modules if m in ('openfn.runtime.python', 'openfn.runtime.javascript')))"
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "plugins")}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
