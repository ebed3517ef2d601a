"""Local HTTP servers for the adaptor tests: stdlib ``http.server`` in a thread on 127.0.0.1.

Each test API is a function ``route(request) -> Answer`` implementing the documented shapes of the real
API (paths, auth, paging, error bodies); the server records every request it received, in order.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return user, password

    @property
    def args(self) -> dict[str, str]:
        """The query with one value per key (the last one)."""
        return {key: values[-1] for key, values in self.query.items()}


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list: JSON; str/bytes: as is
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.body is None:
            return b"", headers
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


def json_answer(body: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, body, headers)


class ApiServer:
    """``with ApiServer(route) as api:`` -> ``api.url`` ('http://127.0.0.1:<port>'), ``api.received``."""

    def __init__(self, route: Callable[[Received], Answer]) -> None:
        self.route = route
        self.received: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Received(
                    method=self.command, path=parts.path, query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()}, body=self.rfile.read(length) if length else b"",
                )
                server.received.append(request)
                try:
                    answer = server.route(request)
                except Exception as exc:  # a bug in the test API: make it visible as a 599
                    answer = Answer(599, {"test_server_error": repr(exc)})
                body, headers = answer.encode()
                try:
                    self.send_response(answer.status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def __getattr__(self, name: str) -> Any:  # any other method name ('do_PURGE') is answered too
                if name.startswith("do_"):
                    return self._handle
                raise AttributeError(name)

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> None:
        self.received.clear()
