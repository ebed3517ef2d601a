"""The client of the api-server's watch API (openfn/inbox/api/watch.py), used by the inbox trigger in the
triggerer and by the inbox sensor's pokes on a worker: neither may reach the metadata database.

The token is the Airflow Variable ``openfn_watch_token``, read through Airflow's own API and sent in the
``Authorization`` header only; it is never logged, and it is read again after a 401 (rotated, or not yet
generated: the api-server generates it on the first request). The api-server's address is ``[openfn]
watch_api_url``, else ``[api] base_url``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from openfn.errors import OpenFnError
from openfn.settings import get_settings

log = logging.getLogger("openfn.sensors")

TOKEN_VARIABLE = "openfn_watch_token"  # the inbox's store/tokens.py WATCH_TOKEN_VARIABLE
PATH = "/openfn/api/watch"


class WatchApiError(OpenFnError):
    """The watch API refused a request for a reason a retry does not cure (a project removed, a bad filter)."""


@dataclass(frozen=True)
class WatchRequest:
    watcher: str
    project: str
    criteria: str
    exclusion: str | None = None
    since: str | None = None
    consumer: str | None = None
    owner: str = ""

    def payload(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


def api_url() -> str:
    configured = get_settings().watch_api_url
    if not configured:
        from airflow.configuration import conf

        configured = conf.get("api", "base_url", fallback="") or f"http://localhost:{conf.get('api', 'port', fallback='8080')}"
    return configured.rstrip("/") + PATH


def read_token() -> str | None:
    """The watch token: from the environment when set there (no round trip), else the Airflow Variable."""
    import os

    from_env = os.environ.get(f"AIRFLOW_VAR_{TOKEN_VARIABLE.upper()}", "").strip()
    if from_env:
        return from_env
    from airflow.sdk import Variable

    try:
        value = Variable.get(TOKEN_VARIABLE, default=None)
    except Exception:  # not reachable right now: ask without, the reply says what to do
        log.debug("could not read the Variable %s", TOKEN_VARIABLE, exc_info=True)
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def answer(reply: httpx.Response) -> dict | None:
    """The message in a reply (None: nothing yet); raises WatchApiError for a refusal a retry cannot cure."""
    if reply.status_code == 200:
        return reply.json().get("message")
    if reply.status_code == 401:
        return None  # no token yet, or an old one: the caller reads the Variable again
    if reply.status_code in (400, 404, 422):
        try:
            text = reply.json().get("message") or reply.text
        except ValueError:
            text = reply.text
        raise WatchApiError(f"The inbox watch API refused the request ({reply.status_code}): {text}",
                            fix="correct the sensor's or asset's arguments (project, criteria, exclusion).")  # fmt: skip
    raise httpx.HTTPStatusError(f"the watch API answered {reply.status_code}", request=reply.request, response=reply)


def event_payload(message: dict) -> dict:
    """What a sensor pushes and an asset event carries: the message's id, project, arrival and body."""
    return {"message_id": message["id"], "project": message["project"], "received_at": message["received_at"], "body": message["body"]}


class WatchClient:
    """Synchronous, for a sensor's poke on a worker. The token is read only after a refusal (401): the
    api-server answers so once the token exists, and a Variable that does not exist is slow to look up."""

    _token: str | None = None  # per process: a worker's pokes reuse it

    def __init__(self, timeout: float = 15.0) -> None:
        self.url = api_url()
        self.timeout = timeout

    def next(self, request: WatchRequest) -> dict | None:
        for attempt in range(2):
            if attempt:
                WatchClient._token = read_token()
            token = WatchClient._token
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            reply = httpx.post(self.url, json=request.payload(), headers=headers, timeout=self.timeout)
            message = answer(reply)
            if message is not None or reply.status_code != 401:
                return message
        log.warning("The inbox watch API refuses the token in the Airflow Variable %s; asking again at the next poke", TOKEN_VARIABLE)
        return None

