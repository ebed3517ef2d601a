"""OpenFn's language-commcare in Python: read cases and forms, submit XForms, bulk-upload cases.

Credential (Airflow Connection -> ``state["configuration"]``):
    ``hostUrl``   the Connection's host (``https://www.commcarehq.org``), or ``hostUrl`` in extra
    ``domain``    in extra: the CommCare project space
    ``appId``     in extra: the application id that receives XForm submissions (``submit``)
    ``username``  the Connection's login (the web user's e-mail)
    ``apiKey``    in extra: sent as ``Authorization: ApiKey <username>:<apiKey>``;
    ``password``  the Connection's password: basic auth, used when there is no ``apiKey``

Results: ``data`` is the list in the response's ``objects`` when there is one (the Data APIs), else the
body; ``response`` carries the response metadata plus the API's ``meta`` (limit, offset, next,
total_count). The previous ``data`` is appended to ``references``.

Example:
    from openfn.adaptors.commcare import get, submit
    from openfn.adaptors.common import data_value

    operations = [
        get("case", {"type": "patient", "date_modified_start": "2024-01-01"}),
        submit({"@": {"xmlns": "http://openrosa.org/formdesigner/followup"}, "case_id": data_value("case_id")}),
    ]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import describe, is_function, named, require_function
from openfn.adaptors._commcare_files import workbook, xform
from openfn.adaptors._http_args import check_mapping, check_method, check_text, join_url
from openfn.adaptors._http_client import HttpConnectionError, HttpError, Reply, basic_auth, credential_secrets, next_state, send
from openfn.adaptors._openfn_http import CredentialError, call, require
from openfn.adaptors._references import expand_references
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names
from openfn.errors import OperationArgumentError

Operation = Callable[[dict], dict]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BULK_TYPES = ("case-data", "lookup-table")


def get(path: Any, params: Any = None, callback: Operation | None = None) -> Operation:
    """GET ``/a/<domain>/api/v0.5/<path>``; every page is fetched (following ``meta.next``) unless
    ``params`` has an ``offset``, and ``data`` is all the objects. ``callback`` gets the state of each page.

    Example:
        operations = [get("case", {"type": "patient", "limit": 100}), fn(lambda state: {**state, "cases": len(state["data"])})]
    """
    check_text("get", "path", path, example="'case' or 'form'")
    check_mapping("get", "params", params)
    if callback is not None:
        require_function("get", "callback", callback)

    @named("get")
    def run(state: dict) -> dict:
        resource, query = expand_references(state, path, params)
        query = dict(query or {})
        paging = "offset" not in query
        results: list | None = None
        while True:
            reply = _request(state, "GET", _api_path(state, resource), query=query)
            page = _next_state(state, reply, callback)
            meta = (reply.body or {}).get("meta") if isinstance(reply.body, dict) else None
            if paging and meta and meta.get("next"):
                results = [*(results or []), *(page["data"] or [])]
                query = {**query, "offset": meta["offset"] + meta["limit"], "limit": meta["limit"]}
                continue
            data = page["data"] if results is None else [*results, *(page["data"] or [])]
            return {**page, "data": data}

    return run


def post(path: Any, data: Any, params: Any = None, callback: Operation | None = None) -> Operation:
    """POST JSON ``data`` to ``/a/<domain>/api/v0.5/<path>`` (users, cases...).

    Example:
        operations = [post("user", {"username": "chw-12", "password": data_value("initial_password")})]
    """
    check_text("post", "path", path, example="'user'")
    check_mapping("post", "params", params)
    if callback is not None:
        require_function("post", "callback", callback)

    @named("post")
    def run(state: dict) -> dict:
        resource, body, query = expand_references(state, path, data, params)
        return _next_state(state, _request(state, "POST", _api_path(state, resource), body=body, query=query), callback)

    return run


def request(method: Any, path: Any, body: Any = None, params: Any = None) -> Operation:
    """Any request to the CommCare server; ``path`` is the full path on the host.

    Example:
        operations = [request("GET", "/a/my-project/api/v0.5/case/", params={"limit": 20})]
    """
    check_method("request", method)
    check_text("request", "path", path, example="'/a/my-project/api/v0.5/case/'")
    check_mapping("request", "params", params)

    @named("request")
    def run(state: dict) -> dict:
        verb, url_path, payload, query = expand_references(state, method, path, body, params)
        return _next_state(state, _request(state, str(verb).upper(), url_path, body=payload, query=query))

    return run


def submit(data: Any) -> Operation:
    """Submit a form: ``data`` becomes an XForm (root ``<data>``; '@' holds attributes such as ``xmlns``)
    posted to ``/a/<domain>/receiver/<appId>/``. ``data`` is CommCare's OpenRosa reply, as text.

    Example:
        operations = [submit({
            "@": {"xmlns": "http://openrosa.org/formdesigner/referral"},
            "name": data_value("form.name"),
            "meta": {"instanceID": data_value("form.meta.instanceID")},
        })]
    """
    if not isinstance(data, dict) and not is_function(data):
        raise OperationArgumentError(f"submit() needs the form as a dict, got {describe(data)}.", fix="Pass a dict such as {'@': {'xmlns': '...'}, 'question1': 'answer'}.")

    @named("submit")
    def run(state: dict) -> dict:
        (form,) = expand_references(state, data)
        config = state.get("configuration") or {}
        domain = require(config, "domain", "commcare", "`domain` in extra")
        app_id = require(config, "appId", "commcare", "`appId` in extra")
        reply = _request(state, "POST", f"/a/{domain}/receiver/{app_id}/", body=xform(form), headers={"Content-Type": "text/xml"}, parse_as="text")
        return _next_state(state, reply)

    return run


def bulk(type: str, data: Any, params: Any = None) -> Operation:
    """Bulk upload as an .xlsx file: 'case-data' (a list of rows, one case each) to the case importer,
    or 'lookup-table' (a dict of sheet name -> rows) to the lookup table API. ``params`` are sent as
    form fields (for cases: ``case_type``, ``search_field``, ``search_column``, ``create_new_cases``...).

    Example:
        operations = [bulk("case-data", data_value("patients"), {"case_type": "patient", "search_field": "external_id",
                                                                 "search_column": "external_id", "create_new_cases": "on"})]
    """
    if not isinstance(type, str) or type.lower() not in BULK_TYPES:
        raise OperationArgumentError(f"bulk() got type {describe(type)}.", fix=f"Use one of: {', '.join(BULK_TYPES)}.")
    check_mapping("bulk", "params", params)
    kind = type.lower()

    @named("bulk")
    def run(state: dict) -> dict:
        rows, fields = expand_references(state, data, params)
        domain = require(state.get("configuration") or {}, "domain", "commcare", "`domain` in extra")
        if kind == "case-data":
            path, field_name, sheets = f"/a/{domain}/importer/excel/bulk_upload_api/", "file", {"SheetJS": list(rows or [])}
        else:
            path, field_name, sheets = f"/a/{domain}/fixtures/fixapi/", "file-to-upload", dict(rows or {})
        files = {field_name: ("data.xlsx", workbook(sheets), XLSX)}
        # Form fields as JavaScript's FormData writes them: true/false in lower case.
        files.update({str(k): (None, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (fields or {}).items() if v is not None})
        reply = _request(state, "POST", path, files=files)
        body = reply.body if isinstance(reply.body, dict) else {"message": reply.body}
        result = {"message": str(body.get("message", "")).replace("\n", ""), "code": body.get("code")}
        return _next_state(state, dataclasses.replace(reply, body=result))

    return run


def submit_xls(data: Any, params: Any) -> Operation:
    """The older name of ``bulk("case-data", data, params)``.

    Example:
        operations = [submit_xls([{"name": "Mamadou", "phone": "000000"}], {"case_type": "student", "search_field": "external_id", "create_new_cases": "on"})]
    """
    return named("submit_xls")(bulk("case-data", data, params))


# --- the request ---------------------------------------------------------------------------------------
def _api_path(state: dict, resource: str) -> str:
    domain = require(state.get("configuration") or {}, "domain", "commcare", "`domain` in extra")
    return f"/a/{domain}/api/v0.5/{str(resource).lstrip('/')}"


def _next_state(state: dict, reply: Reply, callback: Operation | None = None) -> dict:
    body = reply.body
    data = body["objects"] if isinstance(body, dict) and "objects" in body else body
    result = next_state(state, reply, data, use_body=False)
    result["response"]["meta"] = body.get("meta") if isinstance(body, dict) else None
    return callback(result) if callback else result


def _request(state: dict, method: str, path: str, *, body: Any = None, query: Any = None, headers: dict | None = None, files: dict | None = None, parse_as: str = "json") -> Reply:
    config = state.get("configuration") or {}
    host = require(config, "hostUrl", "commcare", "the host (or `hostUrl` in extra)")
    if files is not None:  # multipart upload: httpx writes the Content-Type with its boundary
        sent = _auth(config)
        return send(method, join_url(host, path, setting="hostUrl"), headers=sent, files=files, follow_redirects=True, secrets=credential_secrets(state, sent))
    return call(
        state, method, path, base_url=host, setting="hostUrl", auth=_auth(config), body=body,
        headers=headers, query=query, parse_as=parse_as, content_type="string" if isinstance(body, str) else "json",
    )  # fmt: skip


def _auth(config: dict) -> dict[str, str]:
    if config.get("apiKey"):
        return {"Authorization": f"ApiKey {config.get('username')}:{config['apiKey']}"}
    if config.get("password"):
        return {"Authorization": basic_auth(config.get("username"), config["password"])}
    raise CredentialError(
        "The commcare credential has neither an `apiKey` nor a password",
        fix="Set `apiKey` in the Airflow Connection's extra (with its login as the username), or its password.",
    )


__all__ = [
    "CredentialError", "HttpConnectionError", "HttpError",
    "bulk", "get", "post", "request", "submit", "submit_xls",
    *_common_names,
]  # fmt: skip
