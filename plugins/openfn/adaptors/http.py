"""OpenFn's language-http in Python: requests to any HTTP API, with the credential's base URL and auth.

Credential (Airflow Connection -> ``state["configuration"]``):
    ``baseUrl``   the Connection's host (with scheme, e.g. ``https://example.org/api``), or ``baseUrl`` in extra
    ``username``  the Connection's login        } sent as HTTP basic auth
    ``password``  the Connection's password     }
    ``access_token`` in extra: sent as ``Authorization: Bearer <token>`` instead of basic auth
Paths are relative to ``baseUrl``; auth is only sent when ``baseUrl`` is set, and an absolute URL must
then be on the same origin. Without a credential, use absolute URLs.

Every operation sets ``data`` to the response body (JSON parsed when the server says it is JSON), appends
the previous ``data`` to ``references`` and sets ``response`` to
``{"url", "method", "statusCode", "statusMessage", "headers", "duration", "query"}`` (session cookies are
left out). A status >= 400 fails the job with ``HttpError`` (status, method, URL, body excerpt).
Each response is logged as language-common logs it ('GET https://x/api/patients?name=Ann - 200 in 12ms'; a
failed one at ERROR, followed by its body), with secret-looking query values shown as '***'. A falsy body
(None, '', 0, False) sends nothing; a number or True fails the run, as in language-common.

Options, each also accepted as a function of state where it makes sense:
    ``query``            dict of query parameters (lists repeat the key)
    ``headers``          dict of request headers
    ``content_type``     'json' (default), 'xml', 'string', 'form' (multipart) or 'urlencoded'
    ``parse_as``         'auto' (by the response's content type), 'json', 'text' or 'base64'
    ``errors``           OpenFn's error map: ``{404: False}`` accepts a 404, ``{409: "Duplicate"}`` or
                         ``{409: lambda response: ...}`` sets the message, ``False`` accepts every status
    ``timeout``          milliseconds (OpenFn's unit); default 300,000
    ``follow_redirects`` default True
    ``tls``              language-http's TLS options, here or (for every request) in the credential's extra:
                         ``ca`` (PEM text or list; replaces the trusted authorities), ``cert`` + ``key``
                         (+ ``passphrase``): a client certificate, ``rejectUnauthorized: False``

Example:
    from openfn.adaptors.http import get, post
    from openfn.adaptors.common import data_value

    operations = [
        post("/patients", body={"name": data_value("form.name")}),
        get("/patients", query={"name": data_value("name")}),
    ]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import named
from openfn.adaptors._http_args import check_method, check_options, check_text, encode_body, header_values, join_url
from openfn.adaptors._http_client import HttpConnectionError, HttpError, TlsOptionError, check_tls, credential_secrets, next_state, send
from openfn.adaptors._references import expand_references
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names

Operation = Callable[[dict], dict]
PATH_EXAMPLE = "'/patients' or 'https://example.org/api/patients'"


def request(method: Any, path: Any, *, body: Any = None, query: Any = None, headers: Any = None, content_type: Any = "json", parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """Send a request with any method; ``path`` is relative to ``baseUrl`` or an absolute URL.

    Example:
        operations = [request("GET", "/patients", query={"district": "Kisumu"}, errors={404: False})]
    """
    return _operation("request", method, path, body, query, headers, content_type, parse_as, errors, timeout, follow_redirects, tls)


def get(path: Any, *, query: Any = None, headers: Any = None, parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """GET ``path``.

    Example:
        operations = [get("/patients", query={"name": data_value("name")}, headers={"Accept": "application/json"})]
    """
    return _operation("get", "GET", path, None, query, headers, "json", parse_as, errors, timeout, follow_redirects, tls)


def post(path: Any, body: Any = None, *, query: Any = None, headers: Any = None, content_type: Any = "json", parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """POST ``body`` (JSON unless ``content_type`` says otherwise) to ``path``.

    Example:
        operations = [post("/patients", body=data_value("$"), headers={"X-Source": "commcare"})]
    """
    return _operation("post", "POST", path, body, query, headers, content_type, parse_as, errors, timeout, follow_redirects, tls)


def put(path: Any, body: Any = None, *, query: Any = None, headers: Any = None, content_type: Any = "json", parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """PUT ``body`` to ``path``.

    Example:
        operations = [put(lambda state: f"/patients/{state['data']['id']}", body=data_value("$"))]
    """
    return _operation("put", "PUT", path, body, query, headers, content_type, parse_as, errors, timeout, follow_redirects, tls)


def patch(path: Any, body: Any = None, *, query: Any = None, headers: Any = None, content_type: Any = "json", parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """PATCH ``path`` with ``body``.

    Example:
        operations = [patch("/patients/7", body={"phone": data_value("form.phone")})]
    """
    return _operation("patch", "PATCH", path, body, query, headers, content_type, parse_as, errors, timeout, follow_redirects, tls)


def delete(path: Any, *, query: Any = None, headers: Any = None, parse_as: Any = "auto", errors: Any = None, timeout: Any = None, follow_redirects: bool = True, tls: Any = None) -> Operation:
    """DELETE ``path`` (``del`` in OpenFn; ``del_`` is the same operation).

    Example:
        operations = [delete(lambda state: f"/patients/{state['data']['id']}", errors={404: False})]
    """
    return _operation("delete", "DELETE", path, None, query, headers, "json", parse_as, errors, timeout, follow_redirects, tls)


del_ = delete


def _operation(name, method, path, body, query, headers, content_type, parse_as, errors, timeout, follow_redirects, tls=None) -> Operation:
    check_method(name, method)
    check_text(name, "path", path, example=PATH_EXAMPLE)
    check_options(name, query=query, headers=headers, content_type=content_type, parse_as=parse_as, errors=errors, timeout=timeout)
    check_tls(tls, f"of {name}()")

    # `errors` is not resolved: its values may be functions of the response, not of state.
    @named(name)
    def call(state: dict) -> dict:
        verb, url_path, payload, params, extra, kind, parse = expand_references(state, method, path, body, query, headers, content_type, parse_as)
        config = state.get("configuration") or {}
        sent = header_values(extra)
        encoded = encode_body(payload, kind, sent)
        url = join_url(config.get("baseUrl"), url_path)
        if config.get("baseUrl"):
            add_auth(config, sent)
        options = tls if tls is not None else config.get("tls")  # the request's own, else the credential's
        if tls is None:
            check_tls(options, "in the credential")
        reply = send(
            verb, url, headers=sent, query=params, parse_as=parse, errors=errors, timeout=timeout,
            follow_redirects=follow_redirects, secrets=credential_secrets(state, sent), tls=options or None, **encoded,
        )  # fmt: skip
        return next_state(state, reply)

    return call


def parse_xml(data: Any, script: Callable[[Any], Any] | None = None) -> Operation:
    """Parse XML (or a function of state giving it) and hand its root element (``xml.etree.ElementTree``) to
    ``script``; ``data`` becomes what ``script`` returns, parsed as JSON when it is JSON text, else
    ``{"body": result}``. Without ``script``, ``data`` is ``{"body": <the XML text>}``. (``parseXML`` in
    language-http, whose script gets cheerio's ``$`` instead.)

    Example:
        operations = [
            get("/patients.xml", parse_as="text"),
            parse_xml(data_value("$"), lambda root: [{"id": p.get("id"), "name": p.findtext("name")} for p in root.iter("patient")]),
        ]
    """
    if script is not None and not callable(script):
        from openfn.errors import OperationArgumentError

        raise OperationArgumentError(f"parse_xml() needs a function for `script`, got {type(script).__name__}.", fix="Pass a function taking the XML root element.")

    @named("parse_xml")
    def run(state: dict) -> dict:
        from xml.etree import ElementTree

        from openfn.adaptors._state import compose_next_state

        (text,) = expand_references(state, data)
        if script is None:
            return compose_next_state(state, {"body": text})
        result = script(ElementTree.fromstring(text))
        if isinstance(result, str):
            try:
                return compose_next_state(state, json.loads(result))
            except ValueError:
                pass
        return compose_next_state(state, result if isinstance(result, dict | list) else {"body": result})

    return run


def add_auth(configuration: dict, headers: dict[str, str]) -> None:
    """Bearer ``access_token``, else basic ``username``/``password``; never over the job's own Authorization."""
    from openfn.adaptors._http_client import basic_auth

    if any(key.lower() == "authorization" for key in headers):
        return
    if configuration.get("access_token"):
        headers["Authorization"] = f"Bearer {configuration['access_token']}"
    elif configuration.get("username") and configuration.get("password"):
        headers["Authorization"] = basic_auth(configuration["username"], configuration["password"])


__all__ = ["HttpConnectionError", "HttpError", "TlsOptionError", "del_", "delete", "get", "parse_xml", "patch", "post", "put", "request", *_common_names]
