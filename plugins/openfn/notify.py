"""Notifications to a project's ``notify`` recipients, sent through Airflow's SMTP connection.

``OpenFnNotifier`` is an Airflow notifier: it is the ``on_failure_callback`` of every job task whose
project has recipients, and the state-size warning of cron jobs goes through the same object.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import quote

from airflow.sdk import BaseNotifier

log = logging.getLogger("openfn.notify")


def run_url(dag_id: str, run_id: str) -> str:
    from airflow.configuration import conf

    base = conf.get("api", "base_url", fallback="http://localhost:8080").rstrip("/")
    return f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


class OpenFnNotifier(BaseNotifier):
    """E-mails ``recipients`` about one job: failed runs and oversized cron state."""

    def __init__(self, *, project: str, job: str, recipients: tuple[str, ...] | list[str], smtp_conn_id: str = "smtp_default", from_email: str | None = None) -> None:
        super().__init__()
        if not recipients:
            raise ValueError("OpenFnNotifier needs at least one recipient")
        self.project = project
        self.job = job
        self.recipients = list(recipients)
        self.smtp_conn_id = smtp_conn_id
        self.from_email = from_email

    def notify(self, context) -> None:
        """Failure callback: one message naming project, job, message id, error and the run's link."""
        dag_run = context["dag_run"]
        conf = dag_run.conf or {}
        message_id = (conf.get("openfn") or {}).get("message_id")
        error = context.get("exception")
        lines = [
            ("Project", self.project),
            ("Job", self.job),
            ("Message", message_id or "none (not started by a message)"),
            ("Error", str(error) if error is not None else "unknown (see the task log)"),
            ("Run", run_url(dag_run.dag_id, dag_run.run_id)),
        ]
        self.send(f"[OpenFn] {self.project}.{self.job} failed", lines)

    def state_size_warning(self, dag_id: str, run_id: str, size: int, saved: bool) -> None:
        outcome = "saved" if saved else "NOT saved (over 50,000 bytes); the next run gets the previous state"
        lines = [
            ("Project", self.project),
            ("Job", self.job),
            ("Final state", f"{size:,} bytes, {outcome}"),
            ("Fix", "clear state.references and state.data in a last operation, keeping only what the next run needs (e.g. a cursor)"),
            ("Run", run_url(dag_id, run_id)),
        ]
        try:
            self.send(f"[OpenFn] {self.project}.{self.job}: final state is {size:,} bytes", lines)
        except Exception:  # a warning must never fail a successful run
            log.exception("Could not send the state-size warning for %s.%s", self.project, self.job)

    def send(self, subject: str, lines: list[tuple[str, str]]) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        body = "".join(f"<p><b>{html.escape(k)}:</b> {html.escape(str(v))}</p>" for k, v in lines)
        with SmtpHook(smtp_conn_id=self.smtp_conn_id) as smtp:
            sender = self.from_email or smtp.from_email or "openfn@localhost"
            smtp.send_email_smtp(to=self.recipients, subject=subject, html_content=body, from_email=sender)
        log.info("Notified %s: %s", ", ".join(self.recipients), subject)
