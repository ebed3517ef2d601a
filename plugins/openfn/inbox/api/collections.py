"""Lightning's collections API, so that ``@openfn/language-collections`` jobs run unchanged (SPEC §12).

Mounted at ``/openfn/collections``; a run finds it in ``state.configuration.collections_endpoint`` and
authenticates with its run token (collection_auth.py). Names are looked up in the token's project only:
another project's collection is "not found", exactly like one that does not exist.

* ``GET /<name>/<key>``: ``{"key", "value", "created", "updated"}``, or 204 when the key is not set.
* ``GET /<name>?key=<pattern>&limit=&cursor=&created_after=&created_before=&updated_after=&updated_before=``:
  ``{"items": [...], "cursor": <text or null>}``, streamed: the rows are read ``[openfn]
  collections_page_rows`` at a time, so memory stays flat however many are returned. ``limit`` defaults
  to ``collections_default_limit``; a cursor is returned when more items follow.
* ``POST /<name>`` ``{"items": [{"key", "value"}, ...]}``: insert or replace them all, atomically:
  ``{"upserted": n, "error": null}``.
* ``PUT /<name>/<key>`` ``{"value"}``: the same for one item.
* ``DELETE /<name>/<key>``: ``{"key", "deleted": 1 | 0, "error"}``; ``DELETE /<name>?key=<pattern>``
  (and the date filters): ``{"key", "deleted": n, "error": null}``.

Values are the JSON text the job stored (the adaptor stringifies them); they are stored and returned as
text, never parsed. Bad input is a 4xx with ``{"error", "message"}`` and nothing written.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from openfn.errors import CollectionRequestError
from openfn.inbox.api.collection_auth import run_claims
from openfn.inbox.services import Services
from openfn.inbox.store import collections as store
from openfn.run_tokens import RunClaims
from openfn.settings import get_collections_settings

router = APIRouter(prefix="/collections", tags=["collections"])
Claims = Annotated[RunClaims, Depends(run_claims)]

# Query parameters, with the package's camelCase spellings of the date filters (it passes them on as given)
DATE_PARAMS = {"created_after": "created_after", "created_before": "created_before", "updated_after": "updated_after",
               "updated_before": "updated_before", "createdAfter": "created_after", "createdBefore": "created_before",
               "updatedAfter": "updated_after", "updatedBefore": "updated_before"}  # fmt: skip
READ_PARAMS = {"key", "cursor", "limit", *DATE_PARAMS}
DELETE_PARAMS = {"key", *DATE_PARAMS}


def _bad(message: str, fix: str, status: int = 400, code: str = "invalid_request") -> CollectionRequestError:
    return CollectionRequestError(status, code, message, fix=fix)


def _collection(services, claims: RunClaims, name: str) -> store.Collection:
    found = store.find(services.database, claims.project, name)
    if found is None:  # declared in a project file changed since this api-server started: create it now
        known = services.catalog.get(claims.project)
        if known is not None and name in known.project.collections:
            found = store.ensure(services.database, claims.project, [name], declared=True)[0]
    if found is None:
        raise CollectionRequestError(
            404, "collection_not_found", f"Collection {name!r} does not exist in project {claims.project!r}",
            fix=f"Declare it under collections: in the project file, or create it on the Collections page",
        )  # fmt: skip
    return found


def _moment(name: str, value: str) -> str:
    try:
        return store.timestamp(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise _bad(f"{name}={value!r} is not an ISO 8601 date-time", "Write it like 2024-05-01T00:00:00Z") from None


def _filters(params, allowed: set[str]) -> store.Filters:
    unknown = sorted(set(params) - allowed)
    if unknown:
        names = "key, cursor, limit, " if "limit" in allowed else "key, "
        raise _bad(f"Unknown query parameter {unknown[0]!r}", f"Use only {names}created_after, created_before, updated_after and updated_before")
    dates = {DATE_PARAMS[name]: _moment(name, value) for name, value in params.items() if name in DATE_PARAMS}
    return store.Filters(pattern=params.get("key"), **dates)


def _cursor(text: str | None) -> int | None:
    if text in (None, ""):
        return None
    try:
        value = int(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        raise _bad(f"cursor={text!r} is not a cursor this server returned", "Pass back the cursor of the previous reply unchanged") from None
    return value


def _encode_cursor(item_id: int) -> str:
    return base64.urlsafe_b64encode(str(item_id).encode("ascii")).decode("ascii").rstrip("=")


def _limit(text: str | None, default: int) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        raise _bad(f"limit={text!r} is not a whole number", "Pass a positive whole number of items") from None
    if value < 1:
        raise _bad(f"limit={value} is below 1", "Pass a positive whole number of items")
    return value


def _item(row) -> str:
    return json.dumps({"key": row.key, "value": row.value, "created": row.created_at, "updated": row.updated_at}, ensure_ascii=False)


def _stream(database, collection, filters, after_id, limit, page_rows) -> Iterator[bytes]:
    yield b'{"items":['
    sent, cursor, first = 0, None, True
    while True:
        want = min(page_rows, limit - sent + 1)
        rows = store.page(database, collection, filters, after_id=after_id, limit=want)
        shown = rows[: limit - sent]
        if shown:
            yield (("" if first else ",") + ",".join(_item(row) for row in shown)).encode("utf-8")
            first = False
            sent += len(shown)
            after_id = shown[-1].id
        if len(rows) > len(shown):
            cursor = _encode_cursor(after_id)
            break
        if len(rows) < want:
            break
    yield f'],"cursor":{json.dumps(cursor)}}}'.encode()


@router.get("/{name}")
async def stream_items(name: str, request: Request, claims: Claims, services: Services) -> Response:
    settings = get_collections_settings()
    params = dict(request.query_params)
    filters = _filters(params, READ_PARAMS)
    after_id, limit = _cursor(params.get("cursor")), _limit(params.get("limit"), settings.default_limit)
    collection = await run_in_threadpool(_collection, services, claims, name)
    database = services.database
    return StreamingResponse(_stream(database, collection, filters, after_id, limit, settings.page_rows), media_type="application/json")


@router.get("/{name}/{key:path}")
async def get_item(name: str, key: str, claims: Claims, services: Services) -> Response:
    def read():
        row = store.find_item(services.database, claims.project, name, key)
        if row is store.MISSING_COLLECTION:  # or declared since this api-server started: _collection says which
            row = store.get_item(services.database, _collection(services, claims, name), key)
        return row

    row = await run_in_threadpool(read)
    if row is None:
        return Response(status_code=204)
    return Response(_item(row), media_type="application/json")


async def _json_body(request: Request) -> object:
    limit = get_collections_settings().max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as error:
        raise _bad(f"The body is not JSON ({error})", 'Send {"items": [{"key": "...", "value": "..."}]} as application/json') from None


def _too_large(limit: int) -> CollectionRequestError:
    return _bad(f"The body is larger than {limit:,} bytes", "Send the items in smaller batches (the adaptor sends 1,000 at a time)",
                413, "body_too_large")  # fmt: skip


def _pairs(items: object) -> list[tuple[str, str]]:
    settings = get_collections_settings()
    if not isinstance(items, list):
        raise _bad('"items" must be a list of {"key", "value"} objects', 'Send {"items": [{"key": "a", "value": "{\\"x\\":1}"}]}')
    pairs, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
            raise _bad(f"items[{index}] must have a text key and a text value", "Store values as JSON text, as the collections adaptor does",
                       422, "invalid_item")  # fmt: skip
        key, value = item["key"], item["value"]
        if not key or len(key) > settings.max_key_chars or "\x00" in key:
            raise _bad(f"items[{index}].key must have 1 to {settings.max_key_chars} characters and no NUL", "Use a shorter key", 422, "invalid_key")
        if len(value) > settings.max_value_chars:
            raise _bad(f"items[{index}] ({key!r}): the value has {len(value):,} characters, more than {settings.max_value_chars:,}",
                       "Store smaller values, or split one into several keys", 422, "value_too_large")  # fmt: skip
        if "\x00" in value:
            raise _bad(f"items[{index}] ({key!r}): the value contains a NUL character", "Remove it (JSON text escapes it as \\u0000)", 422, "invalid_item")
        if key in seen:
            raise _bad(f"The key {key!r} appears twice in one request", "Send each key once per request", 422, "duplicate_key")
        seen.add(key)
        pairs.append((key, value))
    return pairs


@router.post("/{name}")
async def put_items(name: str, request: Request, claims: Claims, services: Services) -> Response:
    body = await _json_body(request)
    if not isinstance(body, dict) or "items" not in body:
        raise _bad('The body must be an object with "items"', 'Send {"items": [{"key": "...", "value": "..."}]}')
    pairs = _pairs(body["items"])
    count = await run_in_threadpool(lambda: store.put_items(services.database, _collection(services, claims, name), pairs))
    return JSONResponse({"upserted": count, "error": None})


@router.put("/{name}/{key:path}")
async def put_item(name: str, key: str, request: Request, claims: Claims, services: Services) -> Response:
    body = await _json_body(request)
    if not isinstance(body, dict) or "value" not in body:
        raise _bad('The body must be an object with "value"', 'Send {"value": "<JSON text>"}')
    pairs = _pairs([{"key": key, "value": body["value"]}])
    count = await run_in_threadpool(lambda: store.put_items(services.database, _collection(services, claims, name), pairs))
    return JSONResponse({"upserted": count, "error": None})


@router.delete("/{name}/{key:path}")
async def delete_item(name: str, key: str, claims: Claims, services: Services) -> Response:
    deleted = await run_in_threadpool(lambda: store.delete_key(services.database, _collection(services, claims, name), key))
    return JSONResponse({"key": key, "deleted": int(deleted), "error": None if deleted else "Item Not Found"})


@router.delete("/{name}")
async def delete_items(name: str, request: Request, claims: Claims, services: Services) -> Response:
    params = dict(request.query_params)
    filters = _filters(params, DELETE_PARAMS)
    deleted = await run_in_threadpool(lambda: store.delete_matching(services.database, _collection(services, claims, name), filters))
    return JSONResponse({"key": params.get("key"), "deleted": deleted, "error": None})
