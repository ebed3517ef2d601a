"""language-common's ``util`` helpers for Python jobs: base64, uuid, natural-language dates and URLs.

Example:
    from openfn.adaptors.common import fn, util

    operations = [fn(lambda state: {**state, "token": util.encode({"user": "ann"}), "id": util.uuid()})]
"""

from __future__ import annotations

import base64
import json
import re
import uuid as _uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openfn.adaptors._cursor import parse_date as _parse_date


def _parse_json(options: dict | None, parse_json: bool) -> bool:
    return bool((options or {}).get("parseJson", parse_json))


def encode(data: Any, options: dict | None = None, *, parse_json: bool = True) -> str:
    """``data`` as base64 of its UTF-8 text; anything but text (or bytes) is JSON first unless ``parseJson`` is False.

    Example:
        operations = [fn(lambda state: {**state, "payload": util.encode(state["data"])})]
    """
    if isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    text = data if isinstance(data, str) or not _parse_json(options, parse_json) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(str(text).encode("utf-8")).decode("ascii")


def decode(base64_data: str, options: dict | None = None, *, parse_json: bool = True) -> Any:
    """The text in ``base64_data``; text that starts with '[' or '{' is parsed as JSON unless ``parseJson`` is False
    (and kept as text when it is not valid JSON).

    Example:
        operations = [fn(lambda state: {**state, "form": util.decode(state["data"]["attachment"])})]
    """
    if not isinstance(base64_data, str):
        raise TypeError(f"util.decode() needs base64 text, got {type(base64_data).__name__}")
    text = base64.b64decode(base64_data + "=" * (-len(base64_data) % 4)).decode("utf-8", "replace")
    if text.startswith(("[", "{")) and _parse_json(options, parse_json):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def uuid() -> str:
    """A random (version 4) UUID as text.

    Example:
        operations = [fn(lambda state: {**state, "data": {**state["data"], "uuid": util.uuid()}})]
    """
    return str(_uuid.uuid4())


def parse_date(value: Any, start: datetime | None = None) -> Any:
    """The moment named by 'now', 'today', 'yesterday', '<n> hours ago', '<n> days ago' or 'start' (``start``),
    as a local datetime; any other value is returned as it is (as cursor() reads them).

    Example:
        operations = [fn(lambda state: {**state, "since": util.parse_date("2 days ago").isoformat()})]
    """
    if not isinstance(value, str):
        return value
    return _parse_date(value, start or datetime.now(timezone.utc))


def join_path(base: str, path: str) -> str:
    """Node's ``path.posix.join``: segments joined by '/', '.' and '..' resolved, a trailing '/' kept."""
    joined = "/".join(part for part in (base, path) if part)
    absolute, trailing = joined.startswith("/"), joined.endswith("/")
    parts: list[str] = []
    for segment in joined.split("/"):
        if segment in ("", "."):
            continue
        if segment == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif segment != ".." or not absolute:
            parts.append(segment)
    normal = ("/" if absolute else "") + "/".join(parts)
    return normal + "/" if trailing and parts else (normal or ("/" if absolute else "."))


def parse_url(path_or_url: str = "", base_url: str | None = None) -> dict[str, Any]:
    """``{"url", "baseUrl", "path", "query"}`` of a path under ``base_url`` (or an absolute URL), as OpenFn joins
    them: ``parse_url("/patients?a=1&a=2", "https://example.org/api")`` is under '/api/patients' with
    ``query`` ``{"a": ["1", "2"]}``. An absolute URL on another origin than ``base_url`` is an error.

    Example:
        operations = [fn(lambda state: {**state, "path": util.parse_url(state["data"]["link"])["path"]})]
    """
    if re.match(r"^https?://", path_or_url or "", re.IGNORECASE):
        url = path_or_url
        if base_url and _origin(url) != _origin(base_url):
            raise ValueError(f"Target origin does not match baseUrl origin: {_origin(url)} is not {_origin(base_url)}")
    elif base_url:
        base = urlsplit(base_url)
        url = f"{base.scheme}://{base.netloc}{join_path(base.path or '/', path_or_url)}"
    else:
        raise ValueError(f"Invalid URL: {path_or_url!r} is relative and there is no base URL")
    parts = urlsplit(url)
    query: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = [*query[key], value] if isinstance(query.get(key), list) else ([query[key], value] if key in query else value)
    path = parts.path or "/"
    full = f"{parts.scheme}://{parts.netloc}{path}" + (f"?{parts.query}" if parts.query else "")
    return {"url": full, "baseUrl": f"{parts.scheme}://{parts.netloc}", "path": path, "query": query}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
