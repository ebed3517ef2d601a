"""OpenFn's language-dhis2 in Python: metadata, aggregate data and tracker data in DHIS2.

Credential (Airflow Connection -> ``state["configuration"]``):
    ``hostUrl``     the Connection's host (``https://play.dhis2.org/40``), or ``hostUrl`` in extra
                    (the old ``apiUrl`` is still read when ``hostUrl`` is missing)
    ``apiVersion``  in extra, e.g. "41": paths become ``/api/41/<resource>``; without it ``/api/<resource>``
    ``pat``         in extra: a personal access token, sent as ``Authorization: ApiToken <pat>``
    ``username``/``password``  the Connection's login and password (basic auth), when there is no ``pat``

Paths are DHIS2 resource paths without ``/api`` and the version: 'dataValueSets', 'programs/abc'.
The resources of the new tracker (enrollments, events, relationships, trackedEntities) are created,
updated, upserted and deleted through ``/api/tracker`` (synchronously, with the matching
``importStrategy``), as OpenFn does. Every operation sets ``data`` to the response body, appends the
previous ``data`` to ``references`` and sets ``response`` (status, headers, url, method, duration).
Options accepted by update/upsert/destroy: ``query``, ``headers``, ``parse_as`` and ``api_version``
(which overrides the credential's ``apiVersion``).

Example:
    from openfn.adaptors.dhis2 import create, get
    from openfn.adaptors.common import data_value

    operations = [
        get("dataValueSets", {"dataSet": "pBOMPrpg1QX", "orgUnit": "DiszpKrYNg8", "period": "202401"}),
        create("dataValueSets", {"dataSet": "pBOMPrpg1QX", "period": "202401", "orgUnit": "DiszpKrYNg8",
                                 "dataValues": data_value("values")}),
    ]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from openfn.adaptors._args import describe, is_function, named
from openfn.adaptors._http_args import check_mapping, check_options, check_text
from openfn.adaptors._http_client import HttpConnectionError, HttpError, basic_auth, next_state
from openfn.adaptors._openfn_http import CredentialError, call, require
from openfn.adaptors._references import expand_references
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names
from openfn.errors import OpenFnError, OperationArgumentError

logger = logging.getLogger("openfn.job")
Operation = Callable[[dict], dict]
NEW_TRACKER = re.compile(r"^(enrollments|relationships|events|trackedEntities)$")
STRATEGIES = ("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE")


class UpsertConflict(OpenFnError):
    """An upsert query matched more than one record."""


def create(path: Any, data: Any, params: Any = None) -> Operation:
    """Create a record (POST ``/api/<version>/<path>``); tracker resources go through ``/api/tracker``.

    Example:
        operations = [create("events", {"program": "eBAyeGv0exc", "orgUnit": "DiszpKrYNg8",
                                        "occurredAt": "2025-06-19", "status": "COMPLETED"})]
    """
    _check_path("create", path)
    if path == "tracker":
        raise OperationArgumentError("create() cannot post to 'tracker'.", fix="Use tracker.import_() for tracker payloads.")
    check_mapping("create", "params", params)

    @named("create")
    def run(state: dict) -> dict:
        resource, payload, query = expand_references(state, path, data, params)
        if NEW_TRACKER.match(resource):
            return _tracker_write(state, "CREATE", resource, payload, {"query": query})
        return next_state(state, _request(state, "POST", [resource], {"query": query}, payload))

    return run


def get(path: Any, params: Any = None) -> Operation:
    """Get any resource as JSON; ``params`` are the query (DHIS2's ``fields``, ``filter``, ``paging``...).

    Example:
        operations = [get("dataValueSets", {"dataSet": "pBOMPrpg1QX", "orgUnit": "DiszpKrYNg8",
                                             "period": "202401", "fields": "*"})]
    """
    _check_path("get", path)
    check_mapping("get", "params", params)

    @named("get")
    def run(state: dict) -> dict:
        resource, query = expand_references(state, path, params)
        return next_state(state, _request(state, "GET", [resource], {"query": query}))

    return run


def update(resource_type: Any, path: Any, data: Any, options: Any = None) -> Operation:
    """Replace a record (PUT ``/<resource_type>/<path>``): send every field, changed or not.

    Example:
        operations = [update("dataElements", "FTRrcoaog83", {"name": "Paracetamol", "shortName": "Para",
                                                             "aggregationType": "SUM", "valueType": "NUMBER",
                                                             "domainType": "AGGREGATE"})]
    """
    return _write_one("update", "UPDATE", "PUT", resource_type, path, data, options)


def upsert(resource_type: Any, query: Any, data: Any, options: Any = None) -> Operation:
    """Update the one record ``query`` finds, or create it when none is found; more than one is an error.

    Example:
        operations = [upsert("dataElements", {"filter": "code:eq:DE_359049"},
                             {"name": "AFP follow-up", "shortName": "AFP", "code": "DE_359049",
                              "aggregationType": "SUM", "valueType": "NUMBER", "domainType": "AGGREGATE"})]
    """
    _check_path("upsert", resource_type, "resource_type")
    check_mapping("upsert", "query", query)
    _check_options("upsert", options)

    @named("upsert")
    def run(state: dict) -> dict:
        resource, params, payload, opts = expand_references(state, resource_type, query, data, options)
        opts = dict(opts or {})
        if NEW_TRACKER.match(resource):
            return _tracker_write(state, "CREATE_AND_UPDATE", resource, payload, opts)
        found = _request(state, "GET", [resource], {**opts, "query": params}).body or {}
        records = found.get(resource) or []
        if len(records) > 1:
            raise UpsertConflict(
                f"upsert() found {len(records)} {resource} matching {params}",
                fix="Make the query match one record only (for example filter on a unique code or id).",
            )
        if not records:
            logger.info("upsert(): no %s matches %s; creating one", resource, params)
            return next_state(state, _request(state, "POST", [resource], opts, payload))
        record_id = records[0].get("trackedEntityInstance" if resource == "trackedEntityInstances" else "id")
        logger.info("upsert(): updating %s/%s", resource, record_id)
        return next_state(state, _request(state, "PUT", [resource, record_id], opts, payload))

    return run


def destroy(resource_type: Any, path: Any, data: Any = None, options: Any = None) -> Operation:
    """Delete a record (DELETE ``/<resource_type>/<path>``); ``data`` may list objects to remove.

    Example:
        operations = [destroy("dataElements", "FTRrcoaog83")]
    """
    return _write_one("destroy", "DELETE", "DELETE", resource_type, path, data, options)


def _write_one(name: str, strategy: str, method: str, resource_type: Any, path: Any, data: Any, options: Any) -> Operation:
    """update/destroy: the tracker import with ``strategy`` for tracker resources, else ``method`` on the record."""
    _check_path(name, resource_type, "resource_type")
    _check_options(name, options)

    @named(name)
    def run(state: dict) -> dict:
        resource, target, payload, opts = expand_references(state, resource_type, path, data, options)
        if NEW_TRACKER.match(resource):
            return _tracker_write(state, strategy, resource, payload, opts or {})
        return next_state(state, _request(state, method, [resource, target], opts or {}, payload))

    return run


def _tracker_import(strategy: Any, payload: Any, options: Any = None) -> Operation:
    """Import a tracker payload (POST ``/api/tracker``, synchronous unless ``options["async"]``).

    ``strategy`` is DHIS2's importStrategy; other ``options`` keys (``atomicMode``...) are query parameters.

    Example:
        operations = [tracker.import_("CREATE", {"trackedEntities": [{"orgUnit": "TSyzvBiovKh",
                      "trackedEntityType": "nEenWmSyUEp", "attributes": [{"attribute": "w75KJ2mc4zz", "value": "Gigiwe"}]}]},
                      {"atomicMode": "ALL"})]
    """
    if not is_function(strategy) and strategy not in STRATEGIES:
        raise OperationArgumentError(f"tracker.import_() got strategy {describe(strategy)}.", fix=f"Use one of: {', '.join(STRATEGIES)}.")
    check_mapping("tracker.import_", "options", options)

    @named("tracker.import_")
    def run(state: dict) -> dict:
        chosen, body, opts = expand_references(state, strategy, payload, options)
        opts = dict(opts or {})
        settings = {key: opts.pop(key) for key in ("apiVersion", "api_version", "parse_as", "parseAs") if key in opts}
        # OpenFn's own import() forgets to send the strategy; DHIS2 reads it from `importStrategy`.
        query = {**opts, "async": opts.pop("async", False), "importStrategy": chosen}
        return next_state(state, _request(state, "POST", ["tracker"], {**settings, "query": query}, body))

    return run


def _tracker_export(path: Any, query: Any = None, options: Any = None) -> Operation:
    """Export tracker data (GET ``/api/tracker/<path>``), with DHIS2's paging and filter parameters.

    Example:
        operations = [tracker.export("events", {"orgUnit": "DiszpKrYNg8", "updatedAfter": source_value("$.cursor"),
                                                "pageSize": 1000, "page": 1})]
    """
    _check_path("tracker.export", path)
    check_mapping("tracker.export", "query", query)
    _check_options("tracker.export", options)

    @named("tracker.export")
    def run(state: dict) -> dict:
        resource, params, opts = expand_references(state, path, query, options)
        return next_state(state, _request(state, "GET", [f"tracker/{resource}"], {**(opts or {}), "query": params}))

    return run


tracker = SimpleNamespace(import_=_tracker_import, export=_tracker_export, **{"import": _tracker_import})


# --- helpers on plain values (OpenFn's util) --------------------------------------------------------------
def attr(attribute: str, value: Any) -> dict:
    """A tracked entity attribute: ``attr("w75KJ2mc4zz", "Elias")``.

    Example:
        operations = [create("trackedEntities", {"orgUnit": "TSyzvBiovKh", "trackedEntityType": "nEenWmSyUEp",
                                                 "attributes": [attr("w75KJ2mc4zz", data_value("name"))]})]
    """
    return {"attribute": attribute, "value": value}


def dv(data_element: str, value: Any) -> dict:
    """A data value: ``dv("f7n9E0hX8qk", 12)``.

    Example:
        operations = [create("dataValueSets", {"dataSet": "pBOMPrpg1QX", "period": "202401",
                                               "orgUnit": "DiszpKrYNg8", "dataValues": [dv("f7n9E0hX8qk", 12)]})]
    """
    return {"dataElement": data_element, "value": value}


def find_attribute_value(tracked_entity: dict, display_name: str) -> Any:
    """The value of the attribute whose displayName is ``display_name`` (any case), or None.

    Example:
        operations = [fn(lambda state: {**state, "name": find_attribute_value(state["data"]["trackedEntities"][0], "first name")})]
    """
    for attribute in (tracked_entity or {}).get("attributes") or []:
        if str(attribute.get("displayName", "")).lower() == display_name.lower():
            return attribute.get("value")
    return None


# --- the request ---------------------------------------------------------------------------------------
def _check_path(operation: str, value: Any, argument: str = "path") -> None:
    check_text(operation, argument, value, example="'dataValueSets' or 'programs'")


def _check_options(operation: str, options: Any) -> None:
    check_mapping(operation, "options", options)
    if isinstance(options, dict):
        check_options(operation, query=options.get("query"), headers=options.get("headers"), parse_as=options.get("parse_as", options.get("parseAs", "json")))


def _tracker_write(state: dict, strategy: str, resource: str, payload: Any, options: dict) -> dict:
    body = {resource: payload if isinstance(payload, list) else [payload or {}]}
    query = {**(options.get("query") or {}), "async": False, "importStrategy": strategy}
    return next_state(state, _request(state, "POST", ["tracker"], {**options, "query": query}, body))


def _request(state: dict, method: str, parts: list, options: dict, data: Any = None):
    config = state.get("configuration") or {}
    host = config.get("hostUrl")
    if not host and config.get("apiUrl"):
        logger.warning("DEPRECATION: the dhis2 credential uses `apiUrl`; name it `hostUrl`.")
        host = config["apiUrl"]
    host = host or require(config, "hostUrl", "dhis2", "the host (or `hostUrl` in extra)")
    version = options.get("api_version") or options.get("apiVersion") or config.get("apiVersion")
    path = "/api" + (f"/{version}" if version else "") + "".join(f"/{part}" for part in parts if part not in (None, ""))
    return call(
        state, method, path, base_url=host, setting="hostUrl", auth=_auth(config), body=data,
        headers=options.get("headers"), query=options.get("query"),
        parse_as=options.get("parse_as") or options.get("parseAs") or "json",
    )  # fmt: skip


def _auth(config: dict) -> dict[str, str]:
    if config.get("pat"):
        return {"Authorization": f"ApiToken {config['pat']}"}
    if config.get("username") and config.get("password"):
        return {"Authorization": basic_auth(config["username"], config["password"])}
    raise CredentialError(
        "The dhis2 credential has neither a personal access token (`pat`) nor a username and password",
        fix="Set `pat` in the Airflow Connection's extra, or its login and password.",
    )


__all__ = [
    "CredentialError", "HttpConnectionError", "HttpError", "UpsertConflict",
    "attr", "create", "destroy", "dv", "find_attribute_value", "get", "tracker", "update", "upsert",
    *_common_names,
]  # fmt: skip
