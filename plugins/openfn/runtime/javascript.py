"""JavaScript jobs: compiled and executed by ``js/src/run.mjs`` with ``@openfn/runtime``, one Node process
per run. The job's state and its configuration go in on stdin; its logs come back line by line into the
task log (through Airflow's secret masker, like every task log line); the final state, or the state at
the failure with OpenFn's ``errors``, comes back as one JSON document."""

from __future__ import annotations

from openfn.errors import JobFailed
from openfn.node.process import NodeProcess
from openfn.runtime.runner import JobCode

# How long after the job's own timeout (enforced inside Node by @openfn/runtime) the process group is
# killed from here, should the runtime not stop it.
KILL_AFTER_SECONDS = 15.0


def _reason(error: dict) -> str:
    kind = error.get("type") or "Error"
    message = str(error.get("message") or "")
    reason = message if message.startswith(f"{kind}:") else f"{kind}: {message}"
    position = error.get("position") or {}
    if position.get("line"):
        reason += f" (line {position['line']}, column {position.get('column') or 1})"
    if error.get("operationName"):
        reason += f" in {error['operationName']}()"
    if error.get("fix"):
        reason += f". {error['fix']}"
    return reason


class JavaScriptRunner:
    def __init__(self) -> None:
        self.process: NodeProcess | None = None

    def run(self, code: JobCode, state: dict, configuration: dict | None) -> dict:
        from openfn.settings import get_settings

        settings = get_settings()
        source = code.expression if code.expression is not None else open(code.expression_file, encoding="utf-8").read()
        request = {
            "job": code.key,
            "workflow": code.dag_id,
            "expression": source,
            "adaptor": {"name": code.adaptor_package, "version": code.adaptor_version},
            "state": {key: value for key, value in state.items() if key != "configuration"},
            "configuration": configuration or {},
            "timeout_ms": int(code.timeout * 1000),
        }
        self.process = NodeProcess(settings.node, settings.js_dir / "src" / "run.mjs", cwd=settings.js_dir)
        try:
            result = self.process.run(request, timeout=code.timeout + KILL_AFTER_SECONDS)
        except OSError as error:  # node itself could not be started
            raise self._failed(code, state, f"Node.js ({settings.node!r}) could not be started: {error}", "RuntimeCrash") from None
        if result is None:
            if self.process.timed_out:
                raise self._failed(code, state, f"the job ran for more than {code.timeout:g} s and was stopped", "TimeoutError")
            tail = self.process.stderr_tail()
            raise self._failed(code, state, f"Node.js exited with status {self.process.returncode} without a result{': ' + tail if tail else ''}", "RuntimeCrash")
        if result.get("status") == "success":
            return result.get("state") or {}
        error = result.get("error") or {}
        raise self._failed(code, result.get("state") or state, _reason(error), str(error.get("type") or "JobError"))

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    @staticmethod
    def _failed(code: JobCode, state: dict, reason: str, error_type: str) -> JobFailed:
        failure = JobFailed(code.key, None, None, reason, error_type=error_type)
        failure.state = state
        return failure
