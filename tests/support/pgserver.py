"""A throw-away PostgreSQL server for tests and benchmarks, run from Debian's server binaries.

Integration tests compare with the real thing: this starts a private cluster (own data directory, free
port on 127.0.0.1, unix socket in the private directory, fsync off) and removes it when stopped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

_BINARIES = "/usr/lib/postgresql/*/bin/initdb"
_START_ATTEMPTS = 3


class PostgresNotInstalled(RuntimeError):
    """Debian's PostgreSQL server package is missing."""


def find_bindir() -> Path:
    """The ``bin`` directory of the highest PostgreSQL major version installed by Debian."""
    found = [Path(path).parent for path in glob.glob(_BINARIES)]
    if not found:
        raise PostgresNotInstalled(
            f"No PostgreSQL server binaries found ({_BINARIES}). "
            "Run `make test`, which installs the `postgresql` package, or `apt-get install postgresql`."
        )
    return max(found, key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else -1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One private PostgreSQL cluster. Use as a context manager, or call ``start()`` and ``stop()``."""

    def __init__(self, *, durable_commits: bool = False) -> None:
        self.bindir = find_bindir()
        # Tests need no durability against a machine crash (fsync off), and most not even against a crash of
        # the server (synchronous_commit off). A test that crashes the server needs committed to mean stored.
        self.durable_commits = durable_commits
        self.port: int | None = None
        self.templates: set[str] = set()  # databases made to be copied (tests/support/templates.py)
        self._base: Path | None = None
        # initdb refuses to run as root, so root hands the cluster to Debian's `postgres` user.
        self._as_postgres = os.geteuid() == 0

    @property
    def data_dir(self) -> Path:
        assert self._base is not None, "the server is not started"
        return self._base / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self._base / "server.log" if self._base else None
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout}{result.stderr}{tail}"
            )
        return result

    def start(self) -> PostgresServer:
        self._base = Path(tempfile.mkdtemp(prefix="openfn-pg-"))
        try:
            if self._as_postgres:
                self._hand_over_to_postgres_user()
            self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--locale=C", "--no-sync")
            self._start_on_free_port()
        except BaseException:
            self._remove()
            raise
        return self

    def _hand_over_to_postgres_user(self) -> None:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresNotInstalled(
                "Running as root, but there is no `postgres` user to run the server as. "
                "Run `make test`, which installs the `postgresql` package, or run the tests as another user."
            ) from None
        os.chown(self._base, account.pw_uid, account.pw_gid)
        reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(self._base)], check=False)
        if reachable.returncode != 0:
            raise RuntimeError(
                f"The postgres user cannot write to {self._base}: a parent directory is closed to it. "
                "Set TMPDIR to a directory every user can reach, such as /tmp."
            )

    def _start_on_free_port(self) -> None:
        # The port can be taken between probing and binding; a new one is tried in that case.
        for attempt in range(_START_ATTEMPTS):
            self.port = _free_port()
            try:
                self._pg_ctl_start()
                return
            except RuntimeError:
                if attempt == _START_ATTEMPTS - 1:
                    raise

    def _pg_ctl_start(self) -> None:
        options = (f"-p {self.port} -h 127.0.0.1 -k {self._base} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=300")
        if not self.durable_commits:
            options += " -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self._base / "server.log"), "-w", "-o", options, "start")

    def crash(self) -> None:
        """Stop at once, as a crash would (``-m immediate``: no checkpoint, clients cut off); ``start_again``."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def start_again(self) -> None:
        """Start the stopped cluster on its port (it recovers from its write-ahead log)."""
        self._pg_ctl_start()

    def stop(self) -> None:
        if self._base is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            self._remove()

    def _remove(self) -> None:
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def dsn(self, dbname: str = "postgres") -> str:
        assert self.port is not None, "the server is not started"
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, template: str = "template0") -> str:
        """Create database ``name`` (a copy of database ``template``) unless it exists; return its DSN."""
        import psycopg2
        from psycopg2 import sql

        connection = psycopg2.connect(self.dsn())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} ENCODING 'UTF8'")
                                   .format(sql.Identifier(name), sql.Identifier(template)))
        finally:
            connection.close()
        return self.dsn(name)
