"""URLs and queries as language-common writes them: the URL of ``state.response`` (WHATWG's serialisation,
as Node's ``new URL().href``), query values (Node's querystring), the query of a log line (URLSearchParams),
and what is cut from them before they are shown (userinfo, secret-looking query values)."""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from openfn.adaptors._values import js_string

SECRET_QUERY = re.compile(r"(key|token|secret|password|pass|auth|signature|sig)$", re.IGNORECASE)
# What WHATWG URLs percent-encode: in a path space " # < > ? ` { } (and non-ASCII), in a query space " # < > '.
_PATH_SAFE = "!$%&'()*+,-./:;=@[\\]^_|~"
_QUERY_SAFE = "!$%&()*+,-./:;=?@[\\]^_`{|}~"


def query_value(value: Any) -> Any:
    """A query value as Node's querystring writes it: lists repeat the key, None and dicts are empty,
    numbers and booleans as JavaScript writes them."""
    if isinstance(value, list | tuple):
        return [query_value(item) for item in value]
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool | int | float):
        return js_string(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()  # as a JSON body carries it
    return value


def split_query(url: str) -> tuple[str, dict[str, Any]]:
    """The URL without its query, and the query (a repeated key gives a list of its values)."""
    parts = urlsplit(url)
    if not parts.query:
        return url, {}
    query: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = [*query[key], value] if isinstance(query.get(key), list) else ([query[key], value] if key in query else value)
    return urlunsplit(parts._replace(query="")), query


def href(url: str) -> str:
    """``new URL(url).href``: spaces and other characters a URL cannot hold percent-encoded, the rest as given."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=quote(parts.path, safe=_PATH_SAFE), query=quote(parts.query, safe=_QUERY_SAFE)))


def shown_url(url: str) -> str:
    """``url`` as ``href`` writes it, without userinfo and with secret-looking query values replaced by '***'."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    pieces = [piece.partition("=") for piece in parts.query.split("&")] if parts.query else []
    query = "&".join(f"{key}=***" if SECRET_QUERY.search(unquote_plus(key)) else f"{key}{equals}{value}" for key, equals, value in pieces)
    return href(urlunsplit(parts._replace(netloc=netloc, query=query)))


def shown_query(params: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """The query as state keeps it: secret-looking keys and the credential's secret values as '***'."""
    return {key: "***" if SECRET_QUERY.search(key) or str(value) in secrets else value for key, value in params.items()}


def search_params(query: dict[str, Any]) -> str:
    """``new URLSearchParams(query).toString()`` (a list is one value, '1,2'), secret-looking values as '***'."""

    def text(value: Any) -> str:
        return quote_plus(value, safe="*").replace("~", "%7E")

    shown = {key: "***" if SECRET_QUERY.search(key) else value for key, value in query.items()}
    return "&".join(f"{text(key)}={text(js_string(value))}" for key, value in shown.items())


def js_join(base_url: str, path: str) -> str:
    """``path`` under ``base_url`` as Node's path.posix.join puts them: '..' resolved, a trailing '/' kept."""
    from openfn.adaptors.util import join_path

    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}{join_path(parts.path or '/', path)}"
