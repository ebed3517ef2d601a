"""The client side of the warm JavaScript engine (``js/src/engine.mjs``, ``[openfn] js_engine = warm``).

One engine runs per host and JavaScript install: the first JavaScript task on the host starts it (under a
file lock, so two tasks starting at once start one engine), later tasks connect to its Unix socket, and a
task that finds it gone starts it again. Its socket's name carries a digest of the engine's own code and
of the Node.js binary, so an upgraded install starts a new engine and the old one exits once idle.

A run is one connection: once the engine has greeted it (an engine that is dying may still accept a
connection and close it: no run is sent to one that did not greet), a header line (job, adaptor, memory
limit, timeout, outgoing edges, and the request's size in bytes, so that the engine reads it into one buffer
as it arrives) and the request line (as ``run.mjs`` reads it on stdin; credentials travel only here), then
the engine's log records and the result come back line by line, as from a process of its own
(``node/process.py``); a large result comes in parts, read without joining more than its own line.
Closing the connection stops the run's thread. A connection that ends without a result means the
engine died with the run inside it (``lost``): the task is retried as a lost run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from openfn.node.process import KEEP_ENV, LEVELS, NODE_FLAGS, LogSink, log_to_task

log = logging.getLogger("openfn.job")

START_TIMEOUT_SECONDS = 20.0  # the engine's own start; its threads load lazily
GREETING_TIMEOUT_SECONDS = 5.0  # a live engine greets a connection at once
CHUNK = 1 << 20
UNREADABLE_LOGGED = 4096  # longer output that is not a record is not copied into the task log


def engine_code_digest(js_dir: Path, node: str) -> str:
    """What identifies an engine: the Node.js binary and the code of js/src (a change starts a new one)."""
    digest = hashlib.sha256(f"{node}\0{js_dir.resolve()}".encode())
    src = js_dir / "src"
    for path in sorted([*src.glob("*.mjs"), *src.glob("transforms/*.mjs")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def socket_path(js_dir: Path, node: str) -> Path:
    """Short enough for a Unix socket (108 bytes), private to this user."""
    return Path(tempfile.gettempdir()) / f"openfn-engine-{os.getuid()}-{engine_code_digest(js_dir, node)}.sock"


class EngineUnavailable(OSError):
    """The engine could not be started (Node.js missing, the socket folder not writable, ...)."""


def _greeted(path: Path) -> tuple[socket.socket | None, bool]:
    """A connection to the engine at ``path`` that has greeted it, or (None, whether anything listens):
    an engine that is dying may still accept a connection and then close it, and a run must never be sent
    to it (it would be lost for nothing)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
        sock.settimeout(GREETING_TIMEOUT_SECONDS)
        greeting = b""
        while not greeting.endswith(b"\n"):
            chunk = sock.recv(64)
            if not chunk:
                raise ConnectionResetError("closed before its greeting")
            greeting += chunk
        sock.settimeout(None)
        return sock, True
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None, False
    except OSError:
        sock.close()
        return None, True


def connect(js_dir: Path, node: str, memory_limit_mb: int) -> socket.socket:
    """A connection to this host's engine, starting it first if none listens."""
    path = socket_path(js_dir, node)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        sock, listening = _greeted(path)
        if sock is not None:
            return sock
        if listening:  # an engine on its way out: wait until it is gone, then start one
            time.sleep(0.05)
            continue
        with open(f"{path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one task starts it; the others wait here and then connect
            sock, listening = _greeted(path)
            if sock is not None:
                return sock
            if not listening:
                _start(path, js_dir, node, memory_limit_mb)
                while time.monotonic() < deadline:
                    sock, _ = _greeted(path)
                    if sock is not None:
                        return sock
                    time.sleep(0.02)
    raise EngineUnavailable(f"the JavaScript engine did not start within {START_TIMEOUT_SECONDS:g} s; see {path}.log")


def _start(path: Path, js_dir: Path, node: str, memory_limit_mb: int) -> None:
    env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
    script = js_dir / "src" / "engine.mjs"
    with open(f"{path}.log", "ab") as output:
        try:
            subprocess.Popen(
                [node, *NODE_FLAGS, "--expose-gc", str(script), f"--socket={path}", f"--memory-limit-mb={memory_limit_mb}"],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output, cwd=js_dir, env=env,
                start_new_session=True,  # outlives the task that started it, and its process group
            )  # fmt: skip
        except OSError as error:
            raise EngineUnavailable(str(error)) from error  # the runner says which Node.js could not start
    log.info("Started the JavaScript engine (%s)", path.name)


class EngineRun:
    """One run in the engine; the same surface as ``NodeProcess`` (``run``, ``kill``, ``timed_out``)."""

    def __init__(self, node: str, js_dir: Path, *, memory_limit_mb: int, default_limit_mb: int, on_log: LogSink = log_to_task) -> None:
        self.node = node
        self.js_dir = js_dir
        self.memory_limit_mb = memory_limit_mb
        self.default_limit_mb = default_limit_mb
        self.on_log = on_log
        self.timed_out = False
        self.lost = False
        self.returncode: int | None = None
        self._socket: socket.socket | None = None
        self._stopped = False  # kill() came before the connection did: the run is not sent
        self._lock = threading.Lock()

    def run(self, request: dict[str, Any], *, timeout: float) -> dict | None:
        body = json.dumps(request, separators=(",", ":")).encode("utf-8")
        header = {
            "job": request.get("job"), "adaptor": request.get("adaptor"), "next": request.get("next"),
            "memory_limit_mb": self.memory_limit_mb, "timeout_ms": request.get("timeout_ms"),
            "size": len(body),  # the engine reads the request into one buffer of this size as it arrives
        }  # fmt: skip
        sock = connect(self.js_dir, self.node, self.default_limit_mb)
        with self._lock:
            self._socket = sock
            if self._stopped:  # stopped while the engine was being reached (or started)
                sock.close()
                self._socket = None
                return None
        try:
            sock.sendall(json.dumps(header, separators=(",", ":")).encode() + b"\n")
            sock.sendall(body)
            del body  # a large state is not held twice while its result comes back
            sock.sendall(b"\n")
            return self._read(sock, time.monotonic() + timeout)
        except OSError:
            self.lost = True  # the engine went away while the run was inside it
            return None
        finally:
            self.kill()

    def _read(self, sock: socket.socket, deadline: float) -> dict | None:
        parts: list[bytes] = []  # the unfinished line; a new line is looked for in each new chunk only
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return None
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(CHUNK)
            except TimeoutError:
                self.timed_out = True
                return None
            if not chunk:
                self.lost = True  # closed without a result: the engine (or the run's thread) died
                return None
            start = 0
            while (end := chunk.find(b"\n", start)) != -1:
                line = b"".join([*parts, chunk[start:end]]) if parts else chunk[start:end]
                parts = []
                result = self._record(line)
                if result is not None:
                    return result
                start = end + 1
            if start < len(chunk):
                parts.append(chunk[start:])

    def _record(self, line: bytes) -> dict | None:
        try:
            message = json.loads(line)
        except ValueError:  # a result cut short is state, not a log line: only its size is told
            text = line.decode("utf-8", "replace") if len(line) <= UNREADABLE_LOGGED else f"({len(line)} bytes of output that is not a record)"
            self.on_log(logging.INFO, text)
            return None
        if message.get("type") == "log":
            self.on_log(LEVELS.get(message.get("level"), logging.INFO), str(message.get("message", "")))
            return None
        return message if message.get("type") == "result" else None  # "ready" was read by connect()

    def kill(self) -> None:
        """Closing the connection stops the run's thread in the engine."""
        with self._lock:
            self._stopped = True
            sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stderr_tail(self) -> str:
        return ""
