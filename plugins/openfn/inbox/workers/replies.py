"""Replies after completion: a sender held until its message's run has finished, then answered with the result.

A trigger with ``webhook_reply: after_completion`` (a Lightning webhook, or a v1 message trigger) keeps the
request open after the message is committed. The message row says which run answers it (``reply_job``, and
``reply_flow`` to follow the flow and fail runs it starts), so any api-server can answer it: the one that
took the request, or another one that a retry with the same ``Idempotency-Key`` reaches after a restart.

Waiting costs no thread and no database connection per request. Each api-server process has one
``ReplyWatcher``: a thread that, while requests wait, asks the database every ``reply_poll_seconds`` for the
state of every task their runs need (one query for all of them), reads the results of those that finished
(one more), and hands each answer to the waiting requests' event loop. A request that has waited a while
is looked at less often (every tenth of its wait so far, at most once a second). A run is done when its
result task has finished: ``run`` for a job (its final state is the XCom ``return_value``, its state at failure
``failed_state``), ``openfn_result`` for a workflow (``final_state`` and ``outcome``). The answer does not
wait for Airflow to mark the DAG run.

What the sender is answered with, and how: reply_answers.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from openfn.inbox.catalog import Catalog
from openfn.inbox.reply_answers import ERASED, IMMEDIATE, MISSING, Answer, Plan, Run, build_answer
from openfn.inbox.store import reply_queries
from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import CREATED, FAILED
from openfn.inbox.workers.loop import BackgroundLoop
from openfn.runs import FAILED_STATE_KEY, FINAL_STATE_KEY, JOB_TASK, OUTCOME_KEY, RESULT_TASK, downstream_run_id

log = logging.getLogger("openfn.inbox.replies")

FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


@dataclass
class _Entry:
    message_id: str
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = field(default_factory=list)
    plan: Plan | None = None
    since: float = field(default_factory=time.monotonic)
    next_look: float = 0.0  # (monotonic) its runs are looked at again from then on


class ReplyWatcher(BackgroundLoop):
    thread_name = "openfn-replies"
    failure_message = "Looking for the results of waiting requests failed; trying again in 1 s"
    retry_on_wake = False
    log = log
    SHARE = 0.1  # of the time the watcher's rounds may take
    # A request is looked at every round at first; once it has waited a while, every tenth of its wait so
    # far, at most MAX_GAP apart: a run that takes T seconds is answered at most T/10 (and 1 s) late, and
    # hundreds of requests waiting on long runs cost a few lookups a round, not hundreds.
    AGE_SHARE = 0.1
    MAX_GAP = 1.0

    def __init__(self, database: Database, catalog: Catalog, *, poll_seconds: float = 0.1) -> None:
        super().__init__()
        self.database = database
        self.catalog = catalog
        self.poll_seconds = poll_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    # -- the requests' side -----------------------------------------------------------------------------
    async def wait(self, message_id: str, timeout: float) -> Answer | None:
        """The answer for ``message_id``, or None when it is not there within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        with self._lock:
            idle = not self._entries
            entry = self._entries.get(message_id)
            if entry is None:
                entry = self._entries[message_id] = _Entry(message_id)
            entry.waiters.append((loop, future))
        self.start()
        if idle:  # otherwise the next round, at most poll_seconds away, takes it in
            self._wake.set()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            with self._lock:
                entry = self._entries.get(message_id)
                if entry is not None:
                    entry.waiters = [(lp, fut) for lp, fut in entry.waiters if fut is not future]
                    if not entry.waiters:
                        del self._entries[message_id]

    @property
    def waiting(self) -> int:
        """Requests waiting for an answer in this process."""
        with self._lock:
            return sum(len(entry.waiters) for entry in self._entries.values())

    # -- the thread (BackgroundLoop) ---------------------------------------------------------------------
    def tick(self) -> float | None:
        with self._lock:
            entries = list(self._entries.values())
        if not entries:
            self._wake.wait(5.0)
            self._wake.clear()
            return None
        started = time.monotonic()
        self.check(entries)  # raising: the database is away, the requests wait on (or get their 202 at the limit)
        self._wake.clear()
        took = time.monotonic() - started
        # Every poll_seconds, but never more than a tenth of the time: with thousands of requests waiting, a
        # round takes longer and the rounds space out, so intake keeps its speed.
        return max(self.poll_seconds - took, took * (1 - self.SHARE) / self.SHARE)

    def check(self, entries: list[_Entry]) -> None:
        """One round: plan the new entries, look at their runs, answer those that are done."""
        with self.database.read() as connection:
            new = [entry for entry in entries if entry.plan is None]
            if new:
                for entry, answer in self._plan(connection, new):
                    if answer is not None:
                        self._answer(entry, answer)
            now = time.monotonic()
            due = [entry for entry in entries if entry.plan is not None and entry.next_look <= now]
            if due:
                self._look(connection, [entry.plan for entry in due])
        for entry in due:
            if entry.plan.done():
                self._answer(entry, build_answer(entry.plan))
            else:
                entry.next_look = now + min(self.MAX_GAP, max(self.poll_seconds, (now - entry.since) * self.AGE_SHARE))

    def _answer(self, entry: _Entry, answer: Answer) -> None:
        with self._lock:
            if self._entries.get(entry.message_id) is entry:
                del self._entries[entry.message_id]
            waiters = list(entry.waiters)
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, future, answer)
            except RuntimeError:  # its event loop is closed: nobody is waiting any more
                pass

    # -- reading the database --------------------------------------------------------------------------
    def _plan(self, connection, entries: list[_Entry]) -> list[tuple[_Entry, Answer | None]]:
        ids = [entry.message_id for entry in entries]
        rows = reply_queries.reply_messages(connection, ids)
        first_runs = reply_queries.first_runs(connection, ids)
        snapshot = self.catalog.snapshot()
        results: list[tuple[_Entry, Answer | None]] = []
        for entry in entries:
            row = rows.get(entry.message_id)
            if row is None:
                results.append((entry, MISSING))
                continue
            if row.erased_at is not None:
                results.append((entry, ERASED))
                continue
            run_row = first_runs.get((row.id, row.reply_job)) if row.reply_job else None
            if run_row is None:
                results.append((entry, IMMEDIATE))
                continue
            inbox = snapshot.projects.get(row.project)
            project = inbox.project if inbox is not None else None
            success_code, error_code = _codes(project, row.trigger, row.reply_job)
            first = Run(job=row.reply_job, dag_id=run_row.dag_id, run_id=run_row.run_id, workflow=row.trigger is not None)
            if run_row.status == FAILED:
                _not_created(first, run_row.error)
            first.created = run_row.status == CREATED
            entry.plan = Plan(
                message_id=row.id, project=row.project, trigger=row.trigger, received_at=row.received_at,
                chain=bool(row.reply_flow) and row.trigger is None and project is not None,
                success_code=success_code, error_code=error_code, first=first, project_model=project,
            )  # fmt: skip
            results.append((entry, None))
        return results

    def _look(self, connection, plans: list[Plan]) -> None:
        wanted: dict[tuple[str, str, str], list] = {}
        for plan in plans:
            for run in plan.runs():
                if run.status is None:
                    wanted.setdefault((run.dag_id, run.run_id, run.task_id), []).append(("result", plan, run))
                for kind, job in run.pending:
                    wanted.setdefault((run.dag_id, run.run_id, f"{kind}_{job.key}"), []).append(("trigger", plan, run, kind, job))
        if not wanted:
            self._follow(plans)
            return
        keys = list(wanted)
        states = reply_queries.task_states(connection, keys)
        self._refused(connection, [plan.first for plan in plans
                                   if plan.first.status is None and not plan.first.created and (plan.first.dag_id, plan.first.run_id, plan.first.task_id) not in states])
        done = [(key, states[key]) for key in keys if key in states and states[key][0] in FINISHED]
        values = self._xcoms(connection, [(key, state) for key, (state, _end) in done])
        for key, (state, end_date) in done:
            for item in wanted[key]:
                if item[0] == "result":
                    _finish(item[2], state, end_date, values.get(key, {}))
                else:
                    _, plan, run, kind, job = item
                    run.pending = [(k, j) for k, j in run.pending if not (k == kind and j.key == job.key)]
                    run.children.append(_child(plan, run, kind, job, state))
        self._follow(plans)

    def _refused(self, connection, waiting: list[Run]) -> None:
        """First runs whose DAG run the dispatcher has not created yet: created now, or given up on (Airflow
        refused them: a failure), or still pending."""
        if not waiting:
            return
        by_key = {(run.dag_id, run.run_id): run for run in waiting}
        for row in reply_queries.dispatched_runs(connection, list(by_key)):
            run = by_key.get((row.dag_id, row.run_id))
            if run is None:
                continue
            if row.status == FAILED:
                _not_created(run, row.error)
            else:
                run.created = True

    def _follow(self, plans: list[Plan]) -> None:
        """For a chain: the flow (after a success) or fail (after a failure) jobs of each finished run."""
        for plan in plans:
            if not plan.chain:
                continue
            for run in plan.runs():
                if run.status is None or run.followed:
                    continue
                run.followed = True
                kind = {"success": "flow", "failed": "fail"}.get(run.status)
                if kind is None or run.workflow or run.error_type == "TriggerFailed":
                    continue
                run.pending = [(kind, job) for job in plan.project_model.downstream(run.job, kind) if job.enabled]

    def _xcoms(self, connection, done: list[tuple[tuple[str, str, str], str]]) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The values a finished run's answer needs: a workflow's final state and outcome, a job's return
        value (or its state at failure)."""
        wanted = set()
        for (dag_id, run_id, task_id), state in done:
            if task_id == RESULT_TASK:
                wanted.update({(dag_id, run_id, task_id, FINAL_STATE_KEY), (dag_id, run_id, task_id, OUTCOME_KEY)})
            elif task_id == JOB_TASK:
                wanted.add((dag_id, run_id, task_id, "return_value" if state == "success" else FAILED_STATE_KEY))
        return reply_queries.xcom_values(connection, list(wanted)) if wanted else {}


def _resolve(future: asyncio.Future, answer: Answer) -> None:
    if not future.done():
        future.set_result(answer)


def _codes(project, trigger: str | None, job: str) -> tuple[int | None, int | None]:
    """The trigger's ``success_code``/``error_code`` as the project says now (None: the default)."""
    if project is None:
        return None, None
    if trigger is not None:
        workflow_key, _, trigger_key = trigger.partition("/")
        workflow = project.workflows.get(workflow_key)
        found = workflow.triggers.get(trigger_key) if workflow is not None else None
    else:
        found = project.jobs[job].trigger if job in project.jobs else None
    return getattr(found, "success_code", None), getattr(found, "error_code", None)


def _finish(run: Run, state: str, end_date, values: dict[str, Any]) -> None:
    failed_state, final_state, outcome_key = FAILED_STATE_KEY, FINAL_STATE_KEY, OUTCOME_KEY
    run.finished_at = end_date.isoformat() if end_date is not None else None
    if run.workflow:
        outcome = values.get(outcome_key) if isinstance(values.get(outcome_key), dict) else None
        run.final = values.get(final_state)
        run.outcome = outcome
        if outcome is not None:
            run.status = outcome.get("status") or ("success" if state == "success" else "failed")
            run.error_type, run.error = outcome.get("error_type"), outcome.get("detail") or None
        else:  # the result task did not get to record the outcome (it was stopped)
            run.status = "success" if state == "success" else "crashed"
            run.error_type, run.error = (None, None) if state == "success" else ("RuntimeCrash", f"the run ended {state} without an outcome")
        return
    if state == "success":
        run.status, run.final = "success", values.get("return_value")
        return
    if state == "skipped":
        run.status, run.error_type = "skipped", "JobDisabled"
        run.error = f"job {run.job!r} did not run: it is disabled (enabled: false in project.yaml)"
        return
    run.status, run.final = "failed", values.get(failed_state)
    errors = run.final.get("errors") if isinstance(run.final, dict) and isinstance(run.final.get("errors"), dict) else {}
    reported = errors.get(run.job) if isinstance(errors.get(run.job), dict) else {}
    run.error_type = str(reported.get("type") or "Error")
    run.error = str(reported.get("message") or f"its task ended {state}")


def _not_created(run: Run, error: str | None) -> None:
    run.status, run.error_type = "failed", "RunNotCreated"
    run.error = f"Airflow could not create the run: {error or 'no reason given'}"


def _child(plan: Plan, run: Run, kind: str, job, trigger_state: str) -> Run:
    """The flow/fail run that ``run``'s trigger task started (or the failure to start it)."""
    child = Run(job=job.key, dag_id=job.dag_id,
                 run_id=downstream_run_id(kind, plan.message_id, run.dag_id, run.run_id, job.dag_id, 1))  # fmt: skip
    if trigger_state != "success":
        child.status, child.followed, child.error_type = "failed", True, "TriggerFailed"
        child.error = f"the {kind} job {job.key!r} could not be started (its trigger task {kind}_{job.key} ended {trigger_state})"
    return child
