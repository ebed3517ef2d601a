"""OpenFn's collections adaptor in Python: the project's key-value stores, from any Python job or step.

The same operations as ``@openfn/language-collections`` against the same API (the plugin's, or
Lightning's): ``get``, ``set``, ``remove`` and ``each``, with key patterns (``*`` matches any text),
``limit``, ``cursor`` and the date filters ``createdAfter``/``createdBefore``/``updatedAfter``/
``updatedBefore``. Values are stored as JSON text and come back parsed. A run reaches its own project's
collections with no setup; ``collections_endpoint`` and ``collections_token`` in the job's configuration
(its credential) point it elsewhere, e.g. at a Lightning instance.

Example:
    from openfn.adaptors import collections
    from openfn.adaptors.common import fn

    operations = [
        collections.set("patients", lambda patient, state, index: patient["id"], lambda state: state["data"]["patients"]),
        collections.get("patients", "p-1"),  # state["data"]: the value of p-1, or {} when it is not set
        collections.each("patients", "p-*", lambda state, value, key: print(key, value["name"])),
        collections.remove("patients", "p-*"),
    ]
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import httpx

from openfn.adaptors._args import is_function
from openfn.adaptors._references import resolve
from openfn.errors import OpenFnError, OperationArgumentError

BATCH_SIZE = 1000  # items per POST, as the JavaScript adaptor sends them
PAGE_SIZE = 1000
QUERY_NAMES = {"createdAfter": "created_after", "createdBefore": "created_before", "updatedAfter": "updated_after",
               "updatedBefore": "updated_before"}  # fmt: skip

# The run's own access ({"endpoint", "token"}), set by the Python runner for the duration of a step
_run_access: ContextVar[Callable[[], dict[str, str]] | None] = ContextVar("openfn_collections_access", default=None)


class CollectionsError(OpenFnError):
    """The collections API refused an operation (the status and its message are in the text)."""


class Page(list):
    """The items a pattern ``get`` returned; ``cursor`` continues after them (None: there are no more)."""

    cursor: str | None = None


@contextlib.contextmanager
def run_access(provider: Callable[[], dict[str, str]] | None) -> Iterator[None]:
    """Give the operations run inside this block the run's own access (the runtime's doing)."""
    token = _run_access.set(provider)
    try:
        yield
    finally:
        _run_access.reset(token)


def _access(state: dict) -> tuple[str, str]:
    config = state.get("configuration") if isinstance(state.get("configuration"), dict) else {}
    if config.get("collections_endpoint") and config.get("collections_token"):
        return str(config["collections_endpoint"]).rstrip("/"), str(config["collections_token"])
    provider = _run_access.get()
    if provider is None:
        raise CollectionsError("No collections to reach: this job runs outside an OpenFn run",
                               fix="Set collections_endpoint and collections_token in the job's configuration")  # fmt: skip
    given = provider()
    return given["endpoint"].rstrip("/"), given["token"]


@contextlib.contextmanager
def _client() -> Iterator[httpx.Client]:
    """One connection pool for all the requests of one operation (``each`` makes one per page)."""
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
        yield client


def _request(client: httpx.Client, state: dict, method: str, path: str, *, params: dict | None = None, body: Any = None) -> httpx.Response:
    endpoint, token = _access(state)
    url = f"{endpoint}/{path}"
    try:
        response = client.request(method, url, params=params, json=body, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        raise CollectionsError(f"The collections API at {endpoint} could not be reached ({type(error).__name__}: {error})",
                               fix="Check that the api-server is up and [openfn] collections_url is right") from error  # fmt: skip
    if response.status_code >= 400:
        name = path.split("/")[0]
        try:
            message = response.json().get("message") or response.text
        except ValueError:
            message = response.text
        fix = "Declare the collection under collections: in the project file" if response.status_code == 404 else "See the message"
        raise CollectionsError(f"Collection {name!r}: {method} answered {response.status_code}: {message}", fix=fix)
    return response


def _query(query: Any) -> dict:
    if query is None:
        return {}
    if isinstance(query, str):
        return {"key": query}
    if isinstance(query, dict):
        return dict(query)
    raise OperationArgumentError(f"a collections query is a key, a key pattern or a dict, not {type(query).__name__}")


def _params(query: dict) -> dict:
    return {QUERY_NAMES.get(name, name): value for name, value in query.items() if name not in ("pageSize",) and value is not None}


def _pages(client: httpx.Client, state: dict, name: str, query: dict) -> Iterator[tuple[list[dict], str | None]]:
    """The API's pages for ``query`` (its ``limit`` counts items over all pages), each with the next cursor."""
    limit = query.get("limit")
    page_size = int(query.get("pageSize") or PAGE_SIZE)
    cursor, count = query.get("cursor"), 0
    while True:
        want = page_size if limit is None else min(page_size, int(limit) - count)
        params = _params({**query, "key": query.get("key", "*"), "limit": want, "cursor": cursor})
        body = _request(client, state, "GET", name, params=params).json()
        items, cursor = body.get("items") or [], body.get("cursor")
        count += len(items)
        yield items, cursor
        if not cursor or (limit is not None and count >= int(limit)):
            return


def get(name: str, query: Any = None) -> Callable[[dict], dict]:
    """One key: ``state["data"]`` is its value (``{}`` when not set). A pattern or a dict query: a list of
    ``{"key", "value"}`` (a ``Page`` whose ``cursor`` continues when ``limit`` stopped it).

    Example:
        operations = [collections.get("mappings", "district-*"), fn(lambda s: {**s, "count": len(s["data"])})]
    """

    def operation(state: dict) -> dict:
        resolved_name, resolved = resolve(state, name), _query(resolve(state, query))
        key = resolved.get("key", "*")
        with _client() as client:
            if "*" not in key and resolved.keys() <= {"key"}:
                response = _request(client, state, "GET", f"{resolved_name}/{key}")
                return {**state, "data": {} if response.status_code == 204 else json.loads(response.json()["value"])}
            page, cursor = Page(), None
            for items, cursor in _pages(client, state, resolved_name, resolved):
                page.extend({"key": item["key"], "value": json.loads(item["value"])} for item in items)
        page.cursor = cursor
        return {**state, "data": page}

    return operation


def set(name: str, key_gen: str | Callable, values: Any) -> Callable[[dict], dict]:  # noqa: A001 - the OpenFn name
    """Store values: ``key_gen`` is a key (a list of values is then stored whole under it) or a function
    ``(value, state, index) -> key`` applied to each value of a list. Sent 1,000 at a time.

    Example:
        operations = [collections.set("patients", lambda p, state, i: p["id"], lambda state: state["data"]["patients"])]
    """
    if not isinstance(key_gen, str) and not callable(key_gen):
        raise OperationArgumentError("collections.set() needs a key or a function returning one as its second argument")

    def operation(state: dict) -> dict:
        resolved_name, resolved = resolve(state, name), resolve(state, values)
        if isinstance(key_gen, str) and isinstance(resolved, list):
            pairs = [(key_gen, json.dumps(resolved))]
        else:
            many = resolved if isinstance(resolved, list) else [resolved]
            pairs = []
            for index, value in enumerate(many):
                key = key_gen if isinstance(key_gen, str) else key_gen(value, state, index)
                if not isinstance(key, str):
                    raise CollectionsError(f"The key function returned {key!r} for item {index}, not text",
                                           fix="Make the second argument of collections.set() return a string")  # fmt: skip
                pairs.append((key, json.dumps(value)))
        with _client() as client:
            for start in range(0, len(pairs), BATCH_SIZE):
                batch = [{"key": key, "value": value} for key, value in pairs[start : start + BATCH_SIZE]]
                _request(client, state, "POST", resolved_name, body={"items": batch})
        return state

    return operation


def remove(name: str, query: Any) -> Callable[[dict], dict]:
    """Delete one key, or every key a pattern (and date filters) select.

    Example:
        operations = [collections.remove("cache", "2023-*")]
    """

    def operation(state: dict) -> dict:
        resolved_name, resolved = resolve(state, name), _query(resolve(state, query))
        key = resolved.get("key")
        if key is None:
            raise OperationArgumentError("collections.remove() needs a key or a key pattern ('*' removes everything)")
        with _client() as client:
            if "*" not in key and resolved.keys() <= {"key"}:
                _request(client, state, "DELETE", f"{resolved_name}/{key}")
            else:
                _request(client, state, "DELETE", resolved_name, params=_params(resolved))
        return state

    return operation


def each(name: str, query: Any, callback: Callable[[dict, Any, str], Any]) -> Callable[[dict], dict]:
    """Call ``callback(state, value, key)`` for every item the query selects, a page at a time, so any
    number of items fits in memory; ``state["data"]`` is then ``{"cursor": ...}`` as in JavaScript.

    Example:
        operations = [collections.each("patients", "*", lambda state, value, key: state["seen"].append(key))]
    """
    if not is_function(callback):
        raise OperationArgumentError("collections.each() needs a function (state, value, key) as its third argument")

    def operation(state: dict) -> dict:
        resolved_name, resolved = resolve(state, name), _query(resolve(state, query))
        cursor = None
        with _client() as client:
            for items, cursor in _pages(client, state, resolved_name, resolved):
                for item in items:
                    callback(state, json.loads(item["value"]), item["key"])
        return {**state, "data": {"cursor": cursor}}

    return operation


__all__ = ["CollectionsError", "Page", "each", "get", "remove", "run_access", "set"]
