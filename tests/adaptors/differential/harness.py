"""Running a case on each side and reducing what happened to comparable JSON.

An outcome is ``{"state": ..., "requests": [...]}`` or ``{"error": ..., "requests": [...]}``: the final state
without ``configuration``; the requests the local API received (method, path, query with repeated keys,
the headers that carry meaning, the decoded body). The server's address becomes ``http://SERVER``.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from openfn.adaptors._cursor import iso
from openfn.runtime.resources import run_scope
from tests.adaptors.differential.dsl import Case
from tests.adaptors.servers import Received

HERE = Path(__file__).parent
JS_DIR = HERE.parents[2] / "js"
RECORD = HERE / "js_results.json"
PACKAGES = {"common": "language-common_3.3.4", "http": "language-http_7.2.10", "fhir": "language-fhir_5.0.15", "openmrs": "language-openmrs_5.5.0"}
SERVER = "http://SERVER"
HEADERS = ("content-type", "authorization", "accept", "accept-language")
VOLATILE_RESPONSE_HEADERS = {"date", "connection", "keep-alive", "server", "transfer-encoding"}

# --- the Python side ------------------------------------------------------------------------------------
# JavaScript names whose Python spelling is not plain snake_case.
RENAMES = {"parseXML": "parse_xml", "as": "as_", "assert": "assert_", "map": "map_", "del": "delete", "fhir.get": "fhir.get", "http.delete": "http.delete"}
HTTP_OPTIONS = {"query": "query", "headers": "headers", "body": "body", "parseAs": "parse_as", "contentType": "content_type",
                "errors": "errors", "timeout": "timeout", "tls": "tls", "agentOptions": "tls"}  # fmt: skip


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m[1].lower(), name)


def http_kwargs(options: Any) -> dict:
    """language-http's options object as the Python keyword arguments."""
    options = dict(options or {})
    kwargs = {HTTP_OPTIONS.get(key, key): value for key, value in options.items() if key not in ("maxRedirections", "followAllRedirects")}
    if "maxRedirections" in options:
        kwargs["follow_redirects"] = bool(options["maxRedirections"])
    if options.get("followAllRedirects") is False:
        kwargs["follow_redirects"] = False
    return kwargs


def _http_call(function, name: str, args: list) -> Any:
    """http's ``get(path, options)``, ``post(path, body, options)``, ``request(method, path, options)``."""
    fixed = {"request": 2, "get": 1, "delete": 1, "post": 2, "put": 2, "patch": 2}.get(name.split(".")[-1])
    if fixed is None:
        return function(*args)
    positional, options = args[:fixed], (args[fixed] if len(args) > fixed else None)
    if name.split(".")[-1] in ("post", "put", "patch") and len(positional) > 1:
        return function(positional[0], positional[1], **http_kwargs(options))
    return function(*positional, **http_kwargs(options))


def _cursor_call(function, args: list) -> Any:
    value = args[0] if args else None
    options = dict(args[1]) if len(args) > 1 and args[1] else {}
    return function(value, key=options.get("key"), default_value=options.get("defaultValue"), format=options.get("format"))


def build(value: Any, module, adaptor: str) -> Any:
    if isinstance(value, list):
        return [build(item, module, adaptor) for item in value]
    if isinstance(value, dict):
        if "$call" in value:
            name = value["$call"]
            args = [build(arg, module, adaptor) for arg in value["args"]]
            target = module
            for part in RENAMES.get(name, snake(name)).split("."):
                target = getattr(target, part)
            if (adaptor == "http" and name in ("request", "get", "post", "put", "patch", "del")) or (adaptor == "fhir" and name == "request"):
                return _http_call(target, name, args)
            if name == "cursor":
                return _cursor_call(target, args)
            if name == "parseCsv":  # parseCsv(csv, options, callback): parse_csv(csv, callback, **options)
                options = {snake(key): value for key, value in (args[1] if len(args) > 1 else {}).items()}
                return target(args[0], args[2] if len(args) > 2 else None, **options)
            return target(*args)
        if "$fn" in value:
            return eval(value["$fn"]["py"], {**vars(module), "json": json})  # noqa: S307 - the suite's own code
        if "$undefined" in value:
            return None
        if "$out" in value:
            found, key = build(value["$out"], module, adaptor), value["key"]
            return lambda state: {**state, key: found(state) if callable(found) else found}
        return {key: build(item, module, adaptor) for key, item in value.items()}
    return value


LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error"}


class _Lines(logging.Handler):
    """The job's log lines as [level, text], the shape runner.mjs records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[list[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append([LEVEL_NAMES.get(record.levelno, record.levelname.lower()), record.getMessage()])


def run_python(case: Case, server_url: str) -> dict:
    """The Python outcome's state or error (requests are read from the server by the caller)."""
    module = importlib.import_module(f"openfn.adaptors.{case.adaptor}")
    state = swap_server(json.loads(json.dumps(case.state)), server_url)
    logger, lines = logging.getLogger("openfn.job"), _Lines()
    level, logger.level = logger.level, logging.DEBUG
    logger.addHandler(lines)
    try:
        result = _run(case, module, state, server_url)
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    if case.logs:
        result["logs"] = lines.lines
    return result


def _run(case: Case, module, state: dict, server_url: str) -> dict:
    try:
        with run_scope():
            for operation in build(swap_server(case.job("py"), server_url), module, case.adaptor):
                state = operation(state)
    except Exception as error:  # noqa: BLE001 - any failure is an outcome to compare
        shown = {"message": error.message if isinstance(getattr(error, "message", None), str) else str(error)}
        if getattr(error, "status_code", None) is not None:
            shown["statusCode"] = error.status_code
        return {"error": shown}
    return {"state": {key: value for key, value in state.items() if key != "configuration"}}


# --- the JavaScript side --------------------------------------------------------------------------------
def node() -> str | None:
    """Node.js, when it and the pinned packages are installed."""
    found = shutil.which("node")
    return found if found and all((JS_DIR / "node_modules" / "@openfn" / name).is_dir() for name in PACKAGES.values()) else None


def run_js(cases: list[Case], adaptor: str, server_url: str) -> dict[str, dict]:
    """Every case of one adaptor in one Node process; outcomes by case id."""
    payload = json.dumps([swap_server(case.as_json(), server_url) for case in cases if case.adaptor == adaptor])
    completed = subprocess.run(
        [node(), str(HERE / "runner.mjs"), str(JS_DIR), adaptor, server_url],
        input=payload, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"runner.mjs failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


def split_by_case(received: list[Received]) -> dict[str, list[Received]]:
    """The requests after each '/__case__/<id>' marker, by case id."""
    by_case: dict[str, list[Received]] = {}
    current: list[Received] | None = None
    for request in received:
        if request.path.startswith("/__case__/"):
            from urllib.parse import unquote

            current = by_case.setdefault(unquote(request.path[len("/__case__/") :]), [])
        elif current is not None:
            current.append(request)
    return by_case


# --- making outcomes comparable -------------------------------------------------------------------------
def swap_server(value: Any, new: str, old: str = SERVER) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [swap_server(item, new, old) for item in value]
    if isinstance(value, dict):
        return {key: swap_server(item, new, old) for key, item in value.items()}
    return value


def plain(value: Any, server_url: str) -> Any:
    """JSON as both languages can say it: no null-valued keys (JavaScript drops undefined), 2.0 as 2, the
    server's address as http://SERVER, a response without its timing and connection headers."""
    if isinstance(value, str):
        return value.replace(server_url, SERVER)
    if isinstance(value, datetime):  # as JSON.stringify writes a Date
        return iso(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [plain(item, server_url) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None or key == "duration":
                continue
            if key == "headers" and isinstance(item, dict):
                item = {k.lower(): v for k, v in item.items() if k.lower() not in VOLATILE_RESPONSE_HEADERS}
            out[str(key)] = plain(item, server_url)
        return out
    return value


def request_view(request: Received) -> dict:
    headers = {name: request.headers[name] for name in HEADERS if name in request.headers}
    headers.update({name: value for name, value in request.headers.items() if name.startswith("x-")})
    if headers.get("accept") == "*/*":
        del headers["accept"]  # httpx says it, undici does not; a server reads both the same
    kind = headers.get("content-type", "")
    if request.method in ("GET", "DELETE") and request.body == b"{}":
        request = Received(request.method, request.path, request.query, request.headers, b"")  # D7 in docs/adaptors.md
    if kind.startswith("multipart/form-data"):
        headers["content-type"] = "multipart/form-data"
    return {"method": request.method, "path": request.path, "query": dict(sorted(request.query.items())), "headers": headers, "body": body_view(request.body, kind)}


def body_view(body: bytes, kind: str) -> Any:
    if not body:
        return None
    if kind.startswith("multipart/form-data"):
        fields = re.findall(rb'name="([^"]*)"\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', body, re.S)
        return [[name.decode(), value.decode()] for name, value in fields]
    if kind.startswith("application/x-www-form-urlencoded"):
        return [list(pair) for pair in parse_qsl(body.decode(), keep_blank_values=True)]
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def outcome(result: dict, requests: list[Received], server_url: str, case: Case | None = None) -> dict:
    out = plain({key: value for key, value in result.items() if key != "logs"}, server_url)
    if "error" in out and not (case and case.message):
        out["error"] = {key: value for key, value in out["error"].items() if key == "statusCode"}  # messages are compared by eye, not here
    if "logs" in result:  # a request's time in a log line differs from run to run
        out["logs"] = [[level, re.sub(r" in \d+ms$", " in Nms", text.replace(server_url, SERVER))] for level, text in result["logs"]]
    out["requests"] = plain([request_view(r) for r in requests], server_url)
    return out
