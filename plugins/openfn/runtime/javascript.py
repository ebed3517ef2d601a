"""JavaScript jobs: compiled and executed by ``js/src/run.mjs`` with ``@openfn/runtime``, one Node process
per run. The job's state and its configuration go in on stdin; its logs come back line by line into the
task log (through Airflow's secret masker, like every task log line); the final state, or the state at
the failure with OpenFn's ``errors``, comes back as one JSON document.

A v1 job is a step without edges; a step of a Lightning workflow comes with the edges around it: the
trigger edge to evaluate before it runs, and its outgoing edges, which the runtime evaluates on its output."""

from __future__ import annotations

from openfn.errors import OpenFnError, RunLost
from openfn.node.engine import EngineRun
from openfn.node.process import NodeProcess
from openfn.runtime.collections_access import COLLECTIONS_ADAPTOR, USES_COLLECTIONS
from openfn.runtime.runner import NO_EDGES, Edges, JobCode, StepInput, StepOutcome

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

    def run_step(self, code: JobCode, input: StepInput, edges: Edges = NO_EDGES) -> StepOutcome:
        from openfn.settings import get_settings

        settings = get_settings()
        source = code.expression if code.expression is not None else open(code.expression_file, encoding="utf-8").read()
        request = {
            "job": code.key,
            "workflow": code.dag_id,
            "expression": source,
            "adaptor": {"name": code.adaptor_package, "version": code.adaptor_version},
            "state": {key: value for key, value in input.state.items() if key != "configuration"},
            "configuration": input.configuration or {},
            "timeout_ms": int(code.timeout * 1000),
            "remove": list(input.remove),
        }
        if not code.job_logs:
            request["job_logs"] = False
        if code.globals:
            request["globals"] = code.globals
        uses = code.adaptor_package == COLLECTIONS_ADAPTOR or USES_COLLECTIONS.search(source)
        if input.collections is not None and uses:
            try:
                request["collections"] = input.collections()  # as Lightning's worker: only for jobs that use them
            except OpenFnError as error:
                return StepOutcome("crash", reason=str(error), error={"type": "CollectionsUnavailable"})
        if edges.trigger is not None:
            request["from"] = {"id": edges.trigger[0], "condition": edges.trigger[1]}
        if edges.next:
            request["next"] = dict(edges.next)
        if settings.js_engine == "warm":
            limit = code.memory_limit_mb or settings.run_memory_limit_mb
            self.process = EngineRun(settings.node, settings.js_dir, memory_limit_mb=limit, default_limit_mb=settings.run_memory_limit_mb)
        else:
            self.process = NodeProcess(settings.node, settings.js_dir / "src" / "run.mjs", cwd=settings.js_dir)
            self.process.raw_output = code.job_logs
        try:
            result = self.process.run(request, timeout=code.timeout + KILL_AFTER_SECONDS)
        except OSError as error:  # node itself could not be started
            return StepOutcome("crash", reason=f"Node.js ({settings.node!r}) could not be started: {error}", error={"type": "RuntimeCrash"})
        if result is None and self.process.lost:
            raise RunLost(code.key, "the JavaScript engine stopped while it ran")
        if result is None:
            if self.process.timed_out:
                return StepOutcome("crash", reason=f"the job ran for more than {code.timeout:g} s and was stopped", error={"type": "TimeoutError"})
            tail = self.process.stderr_tail()
            return StepOutcome("crash", reason=f"Node.js exited with status {self.process.returncode} without a result{': ' + tail if tail else ''}",
                               error={"type": "RuntimeCrash"})  # fmt: skip
        error = result.get("error")
        return StepOutcome(
            status=str(result.get("status")), state=result.get("state"), next=tuple(result.get("next") or ()),
            error=error, reason=_reason(error) if error else "",
        )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
