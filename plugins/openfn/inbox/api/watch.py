"""The watch API: how inbox sensors and inbox assets (triggers in the triggerer, pokes on workers) get the
next message of a project whose body matches their filter.

Triggers and tasks cannot reach the metadata database in Airflow 3, and hold no Airflow user, so they ask
the api-server here with the watch token (the Airflow Variable ``openfn_watch_token``, generated on first
use). ``POST /openfn/api/watch`` answers ``{"message": null}`` or ``{"message": {"id", "project",
"received_at", "body"}}``, the body spliced in as stored (exact numbers); ``"wait": true`` when an asset's
message is in flight. What was delivered is kept in the store (store/watchers.py), never in the caller.
"""

from __future__ import annotations

import datetime
import hmac
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from openfn.errors import InboxError, InvalidRequest, NotFound
from openfn.inbox.api.json_responses import json_response, raw_placeholder
from openfn.inbox.services import Services
from openfn.inbox.store import watchers
from openfn.inbox.store.airflow_state import asset_event_recorded
from openfn.inbox.store.tokens import WATCH_TOKEN_VARIABLE, ensure_watch_token
from openfn.matching import parse_filter

# Not in the OpenAPI document: it is the triggers' and workers' internal API, not the management API.
router = APIRouter(prefix="/api", tags=["watch"], include_in_schema=False)


class WatchRequest(BaseModel):
    watcher: str = Field(min_length=1, max_length=480, description="'sensor:<dag_id>.<task_id>' or 'asset:<uri>'")
    project: str = Field(min_length=1, max_length=250)
    criteria: str = Field(description="The inclusion filter as JSON text")
    exclusion: str | None = Field(default=None, description="The exclusion filter as JSON text")
    since: datetime.datetime | None = None
    consumer: str | None = Field(default=None, max_length=480, description="A sensor's task instance")
    owner: str = Field(default="", max_length=100, description="The trigger instance asking")


class BadWatchToken(InboxError):
    status, code = 401, "unauthorized"

    def __init__(self) -> None:
        super().__init__("The watch API needs the watch token",
                         fix=f"Send 'Authorization: Bearer <the Airflow Variable {WATCH_TOKEN_VARIABLE}>'.")  # fmt: skip


def _check_token(request: Request) -> None:
    expected = ensure_watch_token()  # generated on the first call, so a trigger that asked without one finds it
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise BadWatchToken()


def _filter(text: str | None, name: str) -> Any:
    if text is None:
        return None
    try:
        value = parse_filter(text)
    except ValueError as error:
        raise InvalidRequest(f"The {name} filter is not usable: {error}", fix="Send a JSON object or array.") from None
    if not isinstance(value, (dict, list)):
        raise InvalidRequest(f"The {name} filter must be a JSON object or array", fix='Send e.g. {"formId": "intake"}.')
    return value


@router.post("/watch")
def next_message(payload: WatchRequest, request: Request, services: Services) -> Response:
    _check_token(request)
    if services.catalog.get(payload.project) is None:
        raise NotFound("project", payload.project, fix="Name a project of [openfn] jobs_dir in the sensor or asset.")
    kind = payload.watcher.partition(":")[0]
    if kind not in ("sensor", "asset") or (kind == "sensor") != (payload.consumer is not None):
        raise InvalidRequest("A watcher is 'sensor:...' with a consumer, or 'asset:<uri>' without one",
                             fix="Use OpenFnInboxSensor or openfn_inbox_asset, which send these.")  # fmt: skip
    watch = watchers.Watch(
        name=payload.watcher, project=payload.project, criteria=_filter(payload.criteria, "inclusion"),
        exclusion=_filter(payload.exclusion, "exclusion"), since=payload.since, consumer=payload.consumer, owner=payload.owner,
    )  # fmt: skip
    if kind == "sensor":
        delivery = watchers.next_for_sensor(services.database, watch)
    else:
        uri = payload.watcher.partition(":")[2]
        delivery = watchers.next_for_asset(services.database, watch, lambda message_id, at: asset_event_recorded(uri, message_id, at))
    if delivery.id is None:
        return json_response({"message": None, "wait": delivery.wait})
    placeholder = raw_placeholder()
    message = {"id": delivery.id, "project": payload.project, "received_at": delivery.received_at, "body": placeholder}
    return json_response({"message": message, "wait": False}, raw={placeholder: delivery.body or "null"})
