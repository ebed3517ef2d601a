"""What the HTTP-speaking adaptors share before a request is sent: argument checks when an operation is
built, URLs against the credential's base URL, and request bodies (JSON, text, multipart or urlencoded)."""

from __future__ import annotations

import datetime
import decimal
import json
import re
from typing import Any

from openfn.adaptors._args import describe, is_function
from openfn.errors import OpenFnError, OperationArgumentError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CONTENT_TYPES = {"json": "application/json", "xml": "application/xml", "string": "text/plain"}
BODY_KINDS = (*CONTENT_TYPES, "form", "urlencoded")
PARSE_AS = ("auto", "json", "text", "base64")
ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)


class UrlError(OpenFnError, ValueError):
    """A path that cannot be turned into a URL for this credential."""


# --- checks when the operation is built -----------------------------------------------------------------
def check_text(operation: str, argument: str, value: Any, *, example: str) -> None:
    """A required text argument (or a function of state giving one)."""
    if not (isinstance(value, str) and value) and not is_function(value):
        raise OperationArgumentError(f"{operation}() needs text for `{argument}`, got {describe(value)}.", fix=f"Pass for example {example}.")


def check_mapping(operation: str, argument: str, value: Any) -> None:
    if value is not None and not isinstance(value, dict) and not is_function(value):
        raise OperationArgumentError(f"{operation}() needs a dict for `{argument}`, got {describe(value)}.", fix=f"Pass `{argument}` as a dict such as {{'key': 'value'}}, or a function of state.")


TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_method(operation: str, method: Any) -> None:
    """Any method name HTTP allows (a token: 'GET', 'PURGE', 'PROPFIND'), as undici sends any."""
    if is_function(method):
        return
    if not isinstance(method, str) or not TOKEN.fullmatch(method):
        raise OperationArgumentError(f"{operation}() needs an HTTP method for `method`, got {describe(method)}.", fix=f"Use for example one of: {', '.join(METHODS)}.")


def header_values(headers: dict | None) -> dict[str, str]:
    """Header values as undici sends them: numbers and booleans as JavaScript writes them; None is left out."""
    from openfn.adaptors._values import js_string

    return {str(key): value if isinstance(value, str) else js_string(value) for key, value in (headers or {}).items() if value is not None}


def check_options(operation: str, *, query: Any = None, headers: Any = None, content_type: Any = "json", parse_as: Any = "auto", errors: Any = None, timeout: Any = None) -> None:
    """The request options OpenFn's adaptors share, checked when the job is built."""
    check_mapping(operation, "query", query)
    check_mapping(operation, "headers", headers)
    if content_type not in BODY_KINDS and not is_function(content_type):
        raise OperationArgumentError(f"{operation}() got content_type={content_type!r}.", fix=f"Use one of: {', '.join(BODY_KINDS)}.")
    if parse_as not in PARSE_AS and not is_function(parse_as):
        raise OperationArgumentError(f"{operation}() got parse_as={parse_as!r}.", fix=f"Use one of: {', '.join(PARSE_AS)}.")
    if errors is not None and errors is not False and not isinstance(errors, dict):
        raise OperationArgumentError(f"{operation}() needs a dict or False for `errors`, got {describe(errors)}.", fix="Pass for example errors={404: False} to accept a 404, or errors=False to accept every status.")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
        raise OperationArgumentError(f"{operation}() needs a positive number of milliseconds for `timeout`, got {describe(timeout)}.", fix="Pass for example timeout=30_000 for 30 seconds.")


# --- URLs ---------------------------------------------------------------------------------------------
def join_url(base_url: str | None, path: str, *, setting: str = "baseUrl") -> str:
    """``path`` under ``base_url`` (kept whole: 'https://x/api' + '/patients' is 'https://x/api/patients'),
    joined as OpenFn joins them: '..' is resolved, '//' is one '/', a trailing '/' is kept ('/' gives 'https://x/api/').

    An absolute URL is used as is, but must share the base URL's origin, so a credential is never sent
    to another server; a relative path needs a base URL.
    """
    if ABSOLUTE.match(path or ""):
        if base_url and origin(path) != origin(base_url):
            raise UrlError(
                f"The request goes to {origin(path)} but the credential's {setting} is on {origin(base_url)}",
                fix="Use a path relative to the credential's base URL, or a job without this credential for other servers.",
            )
        return path
    if not base_url:
        raise UrlError(
            f"The path {path!r} is relative but there is no `{setting}` in the credential",
            fix=f"Set {setting} in the Airflow Connection (its host, or `{setting}` in extra), or use an absolute URL such as https://example.org/{(path or '').lstrip('/')}.",
        )
    from openfn.adaptors._http_client import js_join

    return js_join(base_url, path or "")


def origin(url: str) -> str:
    found = re.match(r"^([a-z]+://[^/?#]+)", url, re.IGNORECASE)
    return (found.group(1) if found else url).lower()


# --- bodies -------------------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"a value of type {type(value).__name__} cannot be sent as JSON")


def to_json(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_body(body: Any, content_type: str, headers: dict[str, str]) -> dict[str, Any]:
    """httpx arguments for ``body``; sets Content-Type as OpenFn does unless ``headers`` has one.

    'form' is multipart/form-data (OpenFn's FormData: objects as JSON, None left out); 'urlencoded' is
    application/x-www-form-urlencoded; otherwise text and bytes go as they are and anything else as JSON.
    """
    has_type = any(key.lower() == "content-type" for key in headers)
    if content_type in ("form", "urlencoded"):
        for key in [k for k in headers if k.lower() == "content-type"]:
            del headers[key]  # httpx writes it (with the multipart boundary)
        fields = {k: v if isinstance(v, str | bytes) else (to_json(v).decode() if isinstance(v, dict | list) else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (body or {}).items() if v is not None}
        if content_type == "urlencoded":
            return {"data": fields}
        return {"files": {k: (None, v) for k, v in fields.items()}}
    if not has_type:
        headers["Content-Type"] = CONTENT_TYPES.get(content_type, "application/json")
    if body is None or body is False or body == "" or (isinstance(body, int | float) and body == 0):
        return {}  # language-common sends no body for a falsy one (0, False, '')
    if isinstance(body, str | bytes):
        return {"content": body}
    if isinstance(body, bool | int | float):
        raise TypeError(f"Unsupported body type: {describe(body)} (send a dict, a list or text)")
    return {"content": to_json(body)}
