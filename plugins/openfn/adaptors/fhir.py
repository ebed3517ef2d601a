"""OpenFn's FHIR adaptor (language-fhir-4) in Python: read, search, create, update and delete R4
resources, and build and upload transaction bundles.

Credential (Airflow Connection -> ``state["configuration"]``):
    ``baseUrl``        the Connection's host (``https://hapi.fhir.org``), or ``baseUrl`` in extra
    ``apiPath``        in extra: the FHIR base path on that host (``baseR4``); default 'fhir'
    ``access_token``   in extra: sent as ``Authorization: Bearer <token>``
    ``authorization``  in extra: a whole Authorization header value, sent as is
    ``username``/``password``  the Connection's login and password (basic auth), when neither is set

Requests send and accept ``application/fhir+json``. ``data`` is the resource (or bundle) returned, the
previous ``data`` is appended to ``references`` and ``response`` is set.

Example:
    from openfn.adaptors.fhir import create, search
    from openfn.adaptors.common import data_value

    operations = [
        search("Patient", {"query": {"identifier": data_value("nationalId")}, "count": 10}),
        create({"resourceType": "Patient", "name": [{"family": data_value("surname"), "given": [data_value("name")]}]}),
    ]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import describe, is_function, named
from openfn.adaptors._fhir_bundle import sort_entries
from openfn.adaptors._http_args import check_mapping, check_method, check_text
from openfn.adaptors._http_client import HttpConnectionError, HttpError, Reply, basic_auth, next_state
from openfn.adaptors._openfn_http import CredentialError, call, require
from openfn.adaptors._references import expand_references
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names
from openfn.errors import OpenFnError, OperationArgumentError

logger = logging.getLogger("openfn.job")
Operation = Callable[[dict], dict]
FHIR_JSON = "application/fhir+json"
SPECIAL = ("id", "lastUpdated", "tag", "profile", "security", "source", "text", "content", "list", "has", "type",
           "sort", "count", "include", "revinclude", "summary", "total", "elements", "contained", "containedType")  # fmt: skip


class FhirError(OpenFnError, ValueError):
    """A reference or resource that cannot be sent as asked (no type/id, no resourceType, no bundle)."""


def read(reference: Any) -> Operation:
    """Fetch one resource by reference ('Patient/123').

    Example:
        operations = [read(lambda state: f"Patient/{state['data']['patient_id']}")]
    """
    _check_reference("read", reference)

    @named("read")
    def run(state: dict) -> dict:
        (target,) = expand_references(state, reference)
        return next_state(state, _request(state, "GET", _valid_reference(target)))

    return run


def search(resource_type: Any, options: Any = None) -> Operation:
    """Search resources; ``data`` is the list of matching resources, every page read through the bundle's
    'next' links (up to ``max`` resources when given). Search parameters go in ``options["query"]``;
    FHIR's own (``count``, ``lastUpdated``, ``sort``, ``include``...) are given without the underscore.

    Example:
        operations = [search("Patient", {"lastUpdated": source_value("$.cursor"), "count": 100,
                                          "query": {"given:contains": "eve"}})]
    """
    check_text("search", "resource_type", resource_type, example="'Patient'")
    check_mapping("search", "options", options)

    @named("search")
    def run(state: dict) -> dict:
        kind, opts = expand_references(state, resource_type, options)
        opts = dict(opts or {})
        query = {**(opts.get("query") or {}), **{f"_{key}": opts[key] for key in SPECIAL if key in opts}}
        maximum = opts.get("max")
        resources: list = []
        reply = _request(state, "GET", kind, query=query)
        while True:
            resources.extend(entry.get("resource") for entry in (reply.body or {}).get("entry") or [])
            following = next((link.get("url") for link in (reply.body or {}).get("link") or [] if link.get("relation") == "next"), None)
            if not following or (maximum and len(resources) >= maximum):
                break
            reply = _request(state, "GET", following)
        resources = resources[:maximum] if maximum else resources
        logger.info("search() found %d %s resources", len(resources), kind)
        return next_state(state, reply, resources, use_body=False)

    return run


def create(resource: Any) -> Operation:
    """Create a resource (POST ``/<resourceType>``); ``data`` is the resource as stored, with its id.

    Example:
        operations = [create({"resourceType": "Patient", "name": [{"use": "official", "family": "La Paradisio", "given": ["Josephine"]}]})]
    """
    if not isinstance(resource, dict) and not is_function(resource):
        raise OperationArgumentError(f"create() needs a resource dict, got {describe(resource)}.", fix="Pass a resource such as {'resourceType': 'Patient', ...}.")

    @named("create")
    def run(state: dict) -> dict:
        (body,) = expand_references(state, resource)
        if not isinstance(body, dict) or not body.get("resourceType"):
            raise FhirError("The resource to create has no resourceType", fix="Set resourceType on the resource, e.g. 'Patient'.")
        return next_state(state, _request(state, "POST", body["resourceType"], body=body))

    return run


def update(reference: Any, resource: Any) -> Operation:
    """Replace (or create, status 201) the resource at ``reference`` with PUT.

    Example:
        operations = [update("Patient/123", {"resourceType": "Patient", "id": "123", "active": False})]
    """
    _check_reference("update", reference)

    @named("update")
    def run(state: dict) -> dict:
        target, body = expand_references(state, reference, resource)
        return next_state(state, _request(state, "PUT", _valid_reference(target), body=body))

    return run


def delete(reference: Any) -> Operation:
    """Delete the resource at ``reference``.

    Example:
        operations = [delete("Patient/123")]
    """
    _check_reference("delete", reference)

    @named("delete")
    def run(state: dict) -> dict:
        (target,) = expand_references(state, reference)
        return next_state(state, _request(state, "DELETE", _valid_reference(target)))

    return run


def request(method: Any, path: Any, *, body: Any = None, query: Any = None, headers: Any = None, errors: Any = None) -> Operation:
    """Any request under the FHIR base (operations such as '$everything', history, capabilities).

    Example:
        operations = [request("GET", "Patient/123/$everything", query={"_count": 50})]
    """
    check_method("request", method)
    check_text("request", "path", path, example="'metadata' or 'Patient/123/$everything'")

    @named("request")
    def run(state: dict) -> dict:
        verb, target, payload, params, extra = expand_references(state, method, path, body, query, headers)
        return next_state(state, _request(state, str(verb).upper(), target, body=payload, query=params, headers=extra, errors=errors))

    return run


def create_bundle(options: Any = None, props: Any = None) -> Operation:
    """Start an empty bundle at ``state[options["name"]]`` (default 'bundle'), of ``options["type"]``
    (default 'transaction'), with ``props`` merged in.

    Example:
        operations = [create_bundle({"name": "upload", "type": "batch"})]
    """

    @named("create_bundle")
    def run(state: dict) -> dict:
        opts, extra = expand_references(state, options, props)
        name = (opts or {}).get("name", "bundle")
        return {**state, name: {"resourceType": "Bundle", "type": (opts or {}).get("type", "transaction"), "entry": [], **(extra or {})}}

    return run


def add_to_bundle(resources: Any, name: Any = "bundle") -> Operation:
    """Add resources to the bundle at ``state[name]`` as upserts (PUT ``<type>/<id>``), creating the bundle if needed.

    Example:
        operations = [add_to_bundle(data_value("patients"), "upload")]
    """

    @named("add_to_bundle")
    def run(state: dict) -> dict:
        found, key = expand_references(state, resources, name)
        bundle = dict(state.get(key) or {"resourceType": "Bundle", "type": "transaction", "entry": []})
        items = found if isinstance(found, list) else [found]
        entries = [{"resource": r, "request": {"method": "PUT", "url": f"{r.get('resourceType')}/{r.get('id')}"}} for r in items]
        return {**state, key: {**bundle, "entry": [*bundle.get("entry", []), *entries]}}

    return run


def upload_bundle(bundle: Any = "bundle") -> Operation:
    """POST a bundle (the name of one on state, or a bundle itself) to the FHIR base, entries sorted so a
    resource comes after the ones it references; ``data`` is the server's response bundle.

    Example:
        operations = [create_bundle(), add_to_bundle(data_value("patient")), upload_bundle()]
    """

    @named("upload_bundle")
    def run(state: dict) -> dict:
        (chosen,) = expand_references(state, bundle)
        data = state.get(chosen) if isinstance(chosen, str) else chosen
        if not isinstance(data, dict):
            raise FhirError(f"There is no bundle {chosen!r} to upload", fix="Pass the name of a bundle on state (made by create_bundle/add_to_bundle) or a bundle dict.")
        data = {**data, "entry": sort_entries(list(data.get("entry") or []))}
        return next_state(state, _request(state, "POST", "", body=data))

    return run


# --- the request ---------------------------------------------------------------------------------------
def _check_reference(operation: str, value: Any) -> None:
    check_text(operation, "reference", value, example="'Patient/123'")
    if isinstance(value, str):
        _valid_reference(value, operation)


def _valid_reference(reference: Any, operation: str | None = None) -> str:
    if not isinstance(reference, str) or "/" not in reference:
        message = f"{reference!r} is not a resource reference"
        fix = "Give the type and the id, like 'Patient/123'."
        raise OperationArgumentError(f"{operation}(): {message}.", fix=fix) if operation else FhirError(message, fix=fix)
    return reference


def _request(state: dict, method: str, path: str, **options: Any) -> Reply:
    config = state.get("configuration") or {}
    base = require(config, "baseUrl", "fhir", "the host (or `baseUrl` in extra)")
    if not path.lower().startswith(("http://", "https://")):
        api_path = str(config.get("apiPath") or "fhir").strip("/")
        path = f"/{api_path}/{path.lstrip('/')}"  # the base itself is '/<apiPath>/', as language-fhir joins it
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON, **(options.pop("headers", None) or {})}
    return call(state, method, path, base_url=base, setting="baseUrl", auth=_auth(config), headers=headers, parse_as="json", **options)


def _auth(config: dict) -> dict[str, str]:
    if config.get("authorization"):
        return {"Authorization": config["authorization"]}
    if config.get("access_token"):
        return {"Authorization": f"Bearer {config['access_token']}"}
    if config.get("username") and config.get("password"):
        return {"Authorization": basic_auth(config["username"], config["password"])}
    return {}


__all__ = [
    "CredentialError", "FhirError", "HttpConnectionError", "HttpError",
    "add_to_bundle", "create", "create_bundle", "delete", "read", "request", "search", "update", "upload_bundle",
    *_common_names,
]  # fmt: skip
