"""A throw-away Redis server (the Celery broker of the distributed tests), run from Debian's ``redis-server``.

Like pgserver.py: a private directory, a free port on 127.0.0.1, no persistence, removed when stopped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARY = "/usr/bin/redis-server"


class RedisNotInstalled(RuntimeError):
    """Debian's redis-server package is missing."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """One private Redis server. Use as a context manager, or call ``start()`` and ``stop()``."""

    def __init__(self) -> None:
        if not Path(BINARY).exists():
            raise RedisNotInstalled(f"{BINARY} not found. Run `make test`, which installs the `redis-server` package.")
        self.port: int | None = None
        self._dir: Path | None = None
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> RedisServer:
        self._dir = Path(tempfile.mkdtemp(prefix="openfn-redis-"))
        self.port = _free_port()
        # No snapshots, no append-only file: a broker for one test session, nothing to keep.
        args = [BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._dir),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(self._dir / "redis.log")]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self._dir / "redis.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"redis-server exited with {self._process.returncode}:\n{log}")
            if self.ping():
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def url(self, db: int = 0) -> str:
        assert self.port is not None, "the server is not started"
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)
        self._process = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
