"""One Node.js process for one script of ``js/src``: a JSON request on stdin, log records and a result on a
channel pipe, stdout/stderr logged as they come, and the whole process group killed on timeout or on kill.

Credentials travel only on stdin: never in argv (visible in ``ps``) nor in the environment, which is
reduced to what Node needs (PATH, locale, time zone, proxies and CA certificates).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("openfn.job")

NODE_FLAGS = ("--experimental-vm-modules", "--no-warnings")
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "no_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")  # fmt: skip
KILL_GRACE_SECONDS = 5.0
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

LogSink = Callable[[int, str], None]


def log_to_task(level: int, message: str) -> None:
    log.log(level, "%s", message)


class NodeProcess:
    """Runs ``node <script>`` once. ``run()`` returns the result document (or None if none was sent)."""

    def __init__(self, node: str, script: Path, *, cwd: Path, on_log: LogSink = log_to_task) -> None:
        self.node = node
        self.script = script
        self.cwd = cwd
        self.on_log = on_log
        self.process: subprocess.Popen | None = None
        self.returncode: int | None = None
        self.timed_out = False
        self.lost = False  # a process of its own is never lost with another run's engine (see node/engine.py)
        # False (a job's `enable_job_logs: false`): what the process writes to stdout/stderr itself (an
        # adaptor's own writes) is not logged; stderr's tail is still kept to explain a crash.
        self.raw_output = True
        self._stderr_tail: list[str] = []
        self._lock = threading.Lock()

    def run(self, request: dict[str, Any], *, timeout: float) -> dict | None:
        read_fd, write_fd = os.pipe()
        env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
        try:
            self.process = subprocess.Popen(
                [self.node, *NODE_FLAGS, str(self.script), f"--channel={write_fd}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(write_fd,),
                cwd=self.cwd, env=env, start_new_session=True,  # its own process group: killed as a whole
            )  # fmt: skip
        finally:
            os.close(write_fd)  # the child holds its copy; EOF on the channel once it exits
        result: list[dict] = []
        readers = [
            threading.Thread(target=self._read_channel, args=(os.fdopen(read_fd, "rb"), result), daemon=True),
            threading.Thread(target=self._read_text, args=(self.process.stdout, logging.INFO), daemon=True),
            threading.Thread(target=self._read_text, args=(self.process.stderr, logging.WARNING), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            self.process.stdin.write(json.dumps(request, separators=(",", ":")).encode("utf-8"))
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # it died before reading; its exit status and stderr say why
        try:
            self.returncode = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
        finally:
            if self.process.poll() is None:
                self.kill()  # interrupted (Airflow's own timeout, a signal): never leave it running
        for reader in readers:
            reader.join(10)
        return result[-1] if result else None

    def kill(self) -> None:
        """SIGTERM to the whole process group, SIGKILL after a grace period."""
        with self._lock:
            process = self.process
            if process is None or process.poll() is not None:
                return
            for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, 30.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.returncode = process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail[-20:])

    def _read_channel(self, stream, result: list[dict]) -> None:
        with stream:
            for raw in stream:
                try:
                    message = json.loads(raw)
                except ValueError:
                    self.on_log(logging.INFO, raw.decode("utf-8", "replace").rstrip("\n"))
                    continue
                if message.get("type") == "log":
                    self.on_log(LEVELS.get(message.get("level"), logging.INFO), str(message.get("message", "")))
                elif message.get("type") == "result":
                    result.append(message)

    def _read_text(self, stream, level: int) -> None:
        with stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if level >= logging.WARNING:
                    self._stderr_tail.append(line)
                    del self._stderr_tail[:-50]
                if self.raw_output:
                    self.on_log(level, line)

