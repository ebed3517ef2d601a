"""OpenFn's language-openmrs in Python: the OpenMRS REST API (``/ws/rest/v1``) and its FHIR API
(``/ws/fhir2/<version>``), with patients and encounters as the everyday case.

Credential (Airflow Connection -> ``state["configuration"]``):
    ``instanceUrl``  the Connection's host (``https://openmrs.example.org/openmrs``), or ``instanceUrl`` in extra
    ``username``     the Connection's login    } HTTP basic auth
    ``password``     the Connection's password }
    ``fhirVersion``  in extra, default 'R4' (for ``fhir.get``)

``get`` pages through search results (OpenMRS ``links`` with rel 'next', up to ``max``, default 10,000)
and sets ``data`` to the list of results; ``create``/``update``/``destroy`` set ``data`` to the record
OpenMRS returns. The previous ``data`` is appended to ``references`` and ``response`` is set.

Example:
    from openfn.adaptors.openmrs import create, get
    from openfn.adaptors.common import data_value

    operations = [
        get("patient", {"query": data_value("form.identifier"), "v": "default"}),
        create("encounter", {"patient": data_value("uuid"), "encounterType": "dd528487-82a5-4082-9c72-ed246bd49591",
                             "encounterDatetime": "2024-05-25T06:08:25.000+0000"}),
    ]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openfn.adaptors._args import named, require_function
from openfn.adaptors._http_args import check_mapping, check_text
from openfn.adaptors._http_client import HttpConnectionError, HttpError, Reply, basic_auth, next_state
from openfn.adaptors._openfn_http import CredentialError, call, require
from openfn.adaptors._references import expand_references, resolve
from openfn.adaptors._state import compose_next_state
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names
from openfn.errors import OpenFnError

logger = logging.getLogger("openfn.job")
Operation = Callable[[dict], dict]
REST = "/ws/rest/v1/"
DEFAULT_MAX = 10_000
FHIR_PARAMS = {
    **{name: f"_{name}" for name in ("id", "lastUpdated", "tag", "profile", "security", "text", "content", "list", "has", "type",
                                     "sort", "count", "include", "revinclude", "summary", "total", "elements", "contained", "containedType")},
    "getPagesOffset": "_getpagesoffset", "getPages": "_getpages", "bundleType": "_bundletype",
}  # fmt: skip


class UpsertConflict(OpenFnError):
    """An upsert search found more than one record."""


def get(path: Any, options: Any = None) -> Operation:
    """Fetch one resource or search a list (``/ws/rest/v1/<path>``); ``data`` is a list of results.

    Options: ``query`` (OpenMRS ``q``), ``language`` (Accept-Language), ``max`` (most results, default
    10,000, paged), ``page_size``, ``limit`` (one request of that size, no paging), ``singleton`` (``data``
    is the first result itself); anything else (``v``, ``identifier``...) goes in the query.

    Example:
        operations = [get("patient", {"query": "Sarah", "v": "full", "max": 100})]
    """
    return _get("get", path, options)


def create(path: Any, data: Any) -> Operation:
    """Create a resource (POST ``/ws/rest/v1/<path>``).

    Example:
        operations = [create("patient", {
            "identifiers": [{"identifier": "4023287", "identifierType": "05a29f94-c0ed-11e2-94be-8c13b969e334", "preferred": True}],
            "person": {"gender": "M", "birthdate": "1970-01-01", "names": [{"givenName": "John", "familyName": "Doe"}]},
        })]
    """
    return _write("create", path, data)


def update(path: Any, data: Any) -> Operation:
    """Update the fields given in ``data`` (OpenMRS updates with POST ``/ws/rest/v1/<path>``).

    Example:
        operations = [update("person/3cad37ad-984d-4c65-a019-3eb120c9c373", {"gender": "M", "birthdate": "1997-01-13"})]
    """
    return _write("update", path, data)


def upsert(path: Any, data: Any, params: Any = None) -> Operation:
    """Update the resource ``path`` (with ``params``) finds, or create it when there is none; more than one
    match is an error.

    Example:
        operations = [upsert("patient", data_value("patient"), {"q": data_value("identifier"), "limit": 1})]
    """
    check_text("upsert", "path", path, example="'patient' or 'patient/<uuid>'")
    check_mapping("upsert", "params", params)

    @named("upsert")
    def run(state: dict) -> dict:
        target, body, query = expand_references(state, path, data, params)
        query = query or {}
        found = _request(state, "GET", REST + target, query=query, errors={404: False})
        results = found.body.get("results") if isinstance(found.body, dict) else None
        count = len(results) if results is not None else 1
        if found.status_code < 400 and count > 1:
            raise UpsertConflict(f"upsert() found {count} {target} records for {query}", fix="Make the query match one record only.")
        odd = len(target.split("/")) % 2 == 1
        if found.status_code >= 400 or count == 0:
            final = target if odd and query else "/".join(target.split("/")[:-1])
            logger.info("%s not found: creating a new resource", target)
            return compose_next_state(state, _request(state, "POST", REST + final, body=body).body)
        final = target
        if odd and query:
            final = f"{target}/{results[0]['uuid'] if results else found.body['uuid']}"
        logger.info("%s found: updating it", final)
        return compose_next_state(state, _request(state, "POST", REST + final, body=body).body)

    return run


def destroy(path: Any, options: Any = None) -> Operation:
    """Void or retire a resource (DELETE ``/ws/rest/v1/<path>``); ``{"purge": True}`` deletes it for good.

    Example:
        operations = [destroy("patient/b52ec6f9-0e26-424c-a4a1-c64f9d571eb3", {"purge": True})]
    """
    check_text("destroy", "path", path, example="'patient/<uuid>'")
    check_mapping("destroy", "options", options)

    @named("destroy")
    def run(state: dict) -> dict:
        target, query = expand_references(state, path, options)
        return compose_next_state(state, _request(state, "DELETE", REST + target, query=query).body)

    return run


# --- patients and encounters (language-openmrs 4's operations, on the calls above) ------------------------
def get_patient(uuid: Any) -> Operation:
    """Fetch one patient by uuid; ``data`` is the patient.

    Example:
        operations = [get_patient(data_value("patient_uuid"))]
    """
    check_text("get_patient", "uuid", uuid, example="'b52ec6f9-0e26-424c-a4a1-c64f9d571eb3'")
    return _get("get_patient", lambda state: f"patient/{resolve(state, uuid)}", {"singleton": True})


def search_patient(query: Any) -> Operation:
    """Search patients (OpenMRS's ``q``, ``identifier``, ``v``...); ``data`` is the list found.

    Example:
        operations = [search_patient({"q": data_value("form.name"), "v": "default"})]
    """
    return _get("search_patient", "patient", query)


def search_person(query: Any) -> Operation:
    """Search people; ``data`` is the list found.

    Example:
        operations = [search_person({"q": "Sarah"})]
    """
    return _get("search_person", "person", query)


def create_patient(data: Any) -> Operation:
    """Create a patient (POST ``/ws/rest/v1/patient``).

    Example:
        operations = [create_patient({"person": data_value("person"), "identifiers": data_value("identifiers")})]
    """
    return _write("create_patient", "patient", data)


def create_encounter(data: Any) -> Operation:
    """Create an encounter (POST ``/ws/rest/v1/encounter``).

    Example:
        operations = [create_encounter({"patient": data_value("uuid"), "encounterType": "dd528487-82a5-4082-9c72-ed246bd49591",
                                        "encounterDatetime": "2024-05-25T06:08:25.000+0000", "location": "ba685651-ed3b-4e63-9b35-78893060758a"})]
    """
    return _write("create_encounter", "encounter", data)


def get_encounter(uuid: Any) -> Operation:
    """Fetch one encounter by uuid; ``data`` is the encounter.

    Example:
        operations = [get_encounter("1fdaa696-e759-4a7d-a066-f1ae557c151b")]
    """
    check_text("get_encounter", "uuid", uuid, example="'1fdaa696-e759-4a7d-a066-f1ae557c151b'")
    return _get("get_encounter", lambda state: f"encounter/{resolve(state, uuid)}", {"singleton": True})


def get_encounters(query: Any) -> Operation:
    """Search encounters (``patient``, ``encounterType``, ``fromdate``...); ``data`` is the list found.

    Example:
        operations = [get_encounters({"patient": data_value("uuid"), "fromdate": "2023-05-18", "v": "default"})]
    """
    return _get("get_encounters", "encounter", query)


# --- FHIR -----------------------------------------------------------------------------------------------
def _fhir_get(path: Any, query: Any = None, callback: Operation | None = None) -> Operation:
    """GET a FHIR resource or search (``/ws/fhir2/<fhirVersion>/<path>``), following the bundle's 'next'
    links unless ``getPagesOffset`` is given; ``data`` is the bundle with every page's entries.
    ``count``, ``lastUpdated``, ``sort``... become ``_count``, ``_lastUpdated``, ``_sort``.

    Example:
        operations = [fhir.get("Encounter", {"count": 100, "lastUpdated": "ge2024-01-01T00:00:00Z"})]
    """
    check_text("fhir.get", "path", path, example="'Patient' or 'Encounter'")
    check_mapping("fhir.get", "query", query)
    if callback is not None:
        require_function("fhir.get", "callback", callback)

    @named("fhir.get")
    def run(state: dict) -> dict:
        target, params = expand_references(state, path, query)
        config = state.get("configuration") or {}
        params = {FHIR_PARAMS.get(key, key): value for key, value in (params or {}).items()}
        paging = "_getpagesoffset" not in params
        url = f"/ws/fhir2/{config.get('fhirVersion') or 'R4'}/{target}"
        first: Reply | None = None
        entries: list = []
        while True:
            reply = _request(state, "GET", url, query=params)
            first = first or reply
            entries.extend((reply.body or {}).get("entry") or [])
            following = next((link.get("url") for link in (reply.body or {}).get("link") or [] if link.get("relation") == "next"), None)
            if not (paging and following):
                break
            params = {**params, **dict(parse_qsl(urlsplit(following).query, keep_blank_values=True))}
        # language-openmrs drops the links, unless paging was turned off while there is a next page.
        bundle = {key: value for key, value in (first.body or {}).items() if key != "link" or (following and not paging)}
        if "entry" in (first.body or {}) or entries:
            bundle["entry"] = entries
        result = next_state(state, first, bundle, use_body=False)
        return callback(result) if callback else result

    return run


fhir = SimpleNamespace(get=_fhir_get)


# --- the requests ------------------------------------------------------------------------------------------
def _get(name: str, path: Any, options: Any) -> Operation:
    check_text(name, "path", path, example="'patient' or 'patient/<uuid>'")
    check_mapping(name, "options", options)

    @named(name)
    def run(state: dict) -> dict:
        target, opts = expand_references(state, path, options)
        opts = dict(opts or {})
        if opts.get("limit"):
            opts.pop("max", None), opts.pop("pageSize", None), opts.pop("page_size", None)
        singleton = opts.pop("singleton", False)
        results, reply = _paged(state, REST + target.strip("/"), opts, 1 if singleton else None)
        data = (results[0] if results else None) if singleton else results
        logger.info("%s() downloaded %d resources", name, len(results))
        return compose_next_state(state, data)  # language-openmrs's get() sets no `response`

    return run


def _paged(state: dict, path: str, opts: dict, singleton_max: int | None) -> tuple[list, Reply]:
    """OpenFn's requestWithPagination: pages of ``limit`` from ``startIndex`` until ``max`` or no 'next'."""
    limit, start = opts.pop("limit", None), opts.pop("startIndex", None)
    page_size = opts.pop("page_size", opts.pop("pageSize", None))
    user_max = opts.pop("max", None) or singleton_max
    maximum = user_max or limit or DEFAULT_MAX
    language = opts.pop("language", None)
    if opts.get("query"):
        opts["q"] = opts.pop("query")
    results: list = []
    first = True
    while True:
        query = dict(opts)
        if start is not None:
            query["startIndex"] = start
        if limit:
            query["limit"] = limit
        elif user_max or not first:
            query["limit"] = min(page_size or maximum, maximum - len(results))
        elif page_size:
            query["limit"] = page_size
        reply = _request(state, "GET", path, query=query, headers={"Accept-Language": language} if language else None)
        body = reply.body if isinstance(reply.body, dict) else {}
        page = body["results"] if "results" in body else [reply.body]
        results.extend(page)
        # OpenMRS's startIndex is 0-based: the next page starts after what has been read.
        start = (start or 0) + len(page)
        if first and not page_size:
            page_size = len(results) or None
        first = False
        more = any(link.get("rel") == "next" for link in body.get("links") or [])
        if more and user_max is None and not limit and len(results) >= maximum:
            logger.warning("The default maximum of %d items was reached but OpenMRS has more; set `max` to get more.", maximum)
        if limit or len(results) >= maximum or not more:
            return results, reply


def _write(name: str, path: Any, data: Any) -> Operation:
    check_text(name, "path", path, example="'patient' or 'encounter'")

    @named(name)
    def run(state: dict) -> dict:
        target, body = expand_references(state, path, data)
        reply = _request(state, "POST", REST + target.strip("/"), body=body)
        logger.info("%s %s: %s", name, target, (reply.body or {}).get("uuid") if isinstance(reply.body, dict) else "")
        return compose_next_state(state, reply.body)  # language-openmrs's create/update set no `response`

    return run


def _request(state: dict, method: str, path: str, **options: Any) -> Reply:
    config = state.get("configuration") or {}
    base = require(config, "instanceUrl", "openmrs", "the host (or `instanceUrl` in extra)")
    if not (config.get("username") and config.get("password")):
        raise CredentialError("The openmrs credential has no username and password", fix="Set the Airflow Connection's login and password.")
    auth = {"Authorization": basic_auth(config["username"], config["password"])}
    return call(state, method, path, base_url=base, setting="instanceUrl", auth=auth, parse_as="json", **options)


__all__ = [
    "CredentialError", "HttpConnectionError", "HttpError", "UpsertConflict",
    "create", "create_encounter", "create_patient", "destroy", "fhir", "get", "get_encounter", "get_encounters",
    "get_patient", "search_patient", "search_person", "update", "upsert",
    *_common_names,
]  # fmt: skip
