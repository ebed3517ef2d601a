"""``OpenFnInboxSensor``: a task that waits for the next message of an OpenFn project's inbox whose body
matches a filter (``criteria``, and not ``exclusion``: the inbox's own ``@>`` rule), then pushes it.

Deferrable by default: it waits in the triggerer and holds no worker slot. Where no triggerer runs, pass
``deferrable=False``: it then pokes in ``mode="reschedule"`` (a worker slot only for each poke).
``timeout``, ``soft_fail`` and ``poke_interval`` behave as on any Airflow sensor.

Each matching message goes to one run of the sensor: the sensor task (``dag_id.task_id``) reads the
project's messages in arrival order, and each of its task instances claims the next one for good (a retry
of the same task instance gets the same message again). A new sensor starts after the newest message, or
at ``since`` when given. XCom: ``return_value`` is ``{"message_id", "project", "received_at", "body"}``,
and ``message_id`` is also pushed on its own.
"""

from __future__ import annotations

import datetime
from typing import Any

import httpx
from airflow.sdk.bases.sensor import BaseSensorOperator, PokeReturnValue

from openfn.sensors.arguments import check_project, filter_text, since_text
from openfn.sensors.client import WatchApiError, WatchClient, WatchRequest, event_payload
from openfn.sensors.trigger import OpenFnInboxTrigger

MESSAGE_ID_KEY = "message_id"


class OpenFnInboxSensor(BaseSensorOperator):
    template_fields = ("since",)
    ui_color = "#fde8c8"

    def __init__(self, *, project: str, criteria: Any = None, exclusion: Any = None, since: Any = None, deferrable: bool = True,
                 poke_interval: float = 1.0, **kwargs) -> None:  # fmt: skip
        if not deferrable:
            kwargs.setdefault("mode", "reschedule")
        super().__init__(poke_interval=poke_interval, **kwargs)
        where = f"OpenFnInboxSensor {self.task_id!r}"
        self.project = check_project(project, where=where)
        self.criteria = filter_text({} if criteria is None else criteria, "criteria", where=where)
        self.exclusion = filter_text(exclusion, "exclusion", where=where)
        self.since = since_text(since, where=where)
        self.deferrable = deferrable

    def _request(self, context) -> WatchRequest:
        ti = context["ti"]
        return WatchRequest(
            watcher=f"sensor:{self.dag_id}.{self.task_id}", project=self.project, criteria=self.criteria, exclusion=self.exclusion,
            since=self.since or None, consumer=f"{ti.run_id}/{getattr(ti, 'map_index', -1)}",
        )  # fmt: skip

    def execute(self, context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        found = self.poke(context)  # a message already waiting: no trip through the triggerer
        if found.is_done:
            return found.xcom_value
        request = self._request(context)
        trigger = OpenFnInboxTrigger(watcher=request.watcher, project=request.project, criteria=request.criteria, exclusion=request.exclusion,
                                     since=request.since, consumer=request.consumer, poll_interval=self.poke_interval)  # fmt: skip
        self.defer(trigger=trigger, method_name="execute_complete", timeout=datetime.timedelta(seconds=self.timeout))

    def poke(self, context) -> PokeReturnValue:
        try:
            message = WatchClient().next(self._request(context))
        except WatchApiError as error:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(error)) from error
        except httpx.HTTPError as error:  # the api-server restarting: not the sensor's failure, ask again later
            self.log.warning("The inbox watch API did not answer (%s); asking again in %s s", error, self.poke_interval)
            return PokeReturnValue(is_done=False)
        if message is None:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._pushed(context, event_payload(message)))

    def execute_complete(self, context, event: dict[str, Any] | None = None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        if not event or event.get("status") != "success":
            raise AirflowFailException((event or {}).get("message") or "The inbox trigger ended without a message.")
        return self._pushed(context, {key: event[key] for key in ("message_id", "project", "received_at", "body")})

    def _pushed(self, context, payload: dict) -> dict:
        context["ti"].xcom_push(key=MESSAGE_ID_KEY, value=payload["message_id"])
        self.log.info("Inbox message %s of project %s (received %s) matched", payload["message_id"], payload["project"], payload["received_at"])
        return payload
