"""Python jobs: a module defining ``operations``, applied to state in the task's own process."""

from __future__ import annotations

from pathlib import Path

from openfn.runtime.operations import load_operations, run_operations
from openfn.runtime.runner import JobCode


class PythonRunner:
    def run(self, code: JobCode, state: dict, configuration: dict | None) -> dict:
        operations = load_operations(code.key, Path(code.expression_file))
        if configuration is not None:
            state["configuration"] = configuration
        return run_operations(code.key, operations, state)

    def kill(self) -> None:
        """Nothing to do: the operations run in the task process, which Airflow stops itself."""
