"""``OpenFnInboxTrigger``: waits in the triggerer for the next inbox message matching a filter.

For a sensor (``consumer`` set) it fires once, with the message its task instance claimed; for an inbox
asset (an ``AssetWatcher``'s trigger) it runs for ever and fires once per matching message. The api-server
keeps what was delivered (the watch API), so a restarted trigger, or one moved to another triggerer,
resumes exactly where the last one stopped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from openfn.sensors.client import TOKEN_VARIABLE, WatchApiError, WatchRequest, answer, api_url, event_payload, read_token

log = logging.getLogger("openfn.sensors")

MAX_BACKOFF_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 15.0


class OpenFnInboxTrigger(BaseEventTrigger):
    def __init__(self, *, watcher: str, project: str, criteria: str, exclusion: str | None = None, since: str | None = None,
                 consumer: str | None = None, poll_interval: float = 0.5) -> None:  # fmt: skip
        super().__init__()
        self.request = WatchRequest(watcher=watcher, project=project, criteria=criteria, exclusion=exclusion, since=since, consumer=consumer)
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {**{k: v for k, v in self.request.payload().items() if k != "owner"}, "poll_interval": self.poll_interval},
        )

    async def _token(self) -> str | None:
        # Airflow runs a sync SDK call from a trigger's event loop on the loop itself. It is made only after
        # the watch API refused a request (401), which the api-server answers once the token exists: reading
        # a Variable that does not exist held the triggerer's whole event loop for most of a minute.
        return read_token()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        request = WatchRequest(**{**self.request.payload(), "owner": uuid.uuid4().hex})
        url = api_url()
        token = None  # read when first refused, see _token
        failures = 0
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
            while True:
                try:
                    reply = await client.post(url, json=request.payload(), headers={"Authorization": f"Bearer {token}"} if token else {})
                    message = answer(reply)
                except WatchApiError as error:
                    if request.consumer is not None:  # a sensor fails, saying why
                        yield TriggerEvent({"status": "error", "message": str(error)})
                        return
                    log.error("%s; asking again in %.0f s", error, MAX_BACKOFF_SECONDS)  # an asset event is no place for it
                    await asyncio.sleep(MAX_BACKOFF_SECONDS)
                    continue
                except (httpx.HTTPError, ValueError) as error:  # the api-server restarting: wait and ask again
                    failures += 1
                    delay = min(MAX_BACKOFF_SECONDS, self.poll_interval * 2**failures)
                    log.warning("The inbox watch API at %s did not answer (%s); asking again in %.1f s", url, error, delay)
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                if reply.status_code == 401:
                    log.info("Reading the watch token (Airflow Variable %s) again", TOKEN_VARIABLE)
                    token = await self._token()
                elif message is not None:
                    yield TriggerEvent({"status": "success", **event_payload(message)})
                    if request.consumer is not None:
                        return  # a sensor's trigger fires once
                    continue  # an asset's: the api-server answers "wait" until Airflow has recorded this event
                await asyncio.sleep(self.poll_interval)
