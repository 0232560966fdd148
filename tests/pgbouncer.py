"""A real PgBouncer in transaction mode, for the pooling tests and `make test-pooled`.

`PgBouncer.start(directory, ...)` writes a pgbouncer.ini and a userlist into `directory`,
starts /usr/sbin/pgbouncer on a free 127.0.0.1 port and returns once it accepts connections;
`stop()` ends it. It fails loudly when pgbouncer is missing: `make test` installs it
(scripts/pgbouncer.sh).

As a command it runs another command with the runtime connection going through a fresh
PgBouncer (the owner connection, which creates the test databases, stays direct):

    python -m tests.pgbouncer [--pool-size N] -- pytest tests/test_isolation.py

It sets DATABASE_URL to the pooler and DATABASE_POOLING=transaction for the command, then
prints how many transactions PgBouncer carried to each database, and fails when the command
fails or when no transaction of a test database went through the pooler.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

PGBOUNCER = os.environ.get("PGBOUNCER") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
START_TIMEOUT = 30
DEFAULT_DATABASE_URL = "postgres://tenantdesk_app:tenantdesk_app@127.0.0.1:5432/tenantdesk"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@dataclass
class PgBouncer:
    process: subprocess.Popen
    port: int
    directory: Path

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        server_host: str,
        server_port: int | str,
        users: dict[str, str],
        databases: list[str] | None = None,
        pool_size: int = 1,
        max_client_conn: int = 10,
    ) -> "PgBouncer":
        """Start pgbouncer in front of server_host:server_port.

        `databases`: the database names it serves (each as itself); None serves any name.
        `users`: login -> password (trust for clients; the password logs in to PostgreSQL).
        The first user may read SHOW STATS / SHOW POOLS on the `pgbouncer` admin database.
        """
        if not (os.path.isfile(PGBOUNCER) and os.access(PGBOUNCER, os.X_OK)):
            raise RuntimeError(
                f"pgbouncer not found at {PGBOUNCER}: `make test` installs it "
                "(scripts/pgbouncer.sh; Debian: apt-get install pgbouncer)"
            )
        directory.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        server = f"host={server_host} port={server_port}"
        entries = (
            [f"{name} = {server} dbname={name}" for name in databases]
            if databases is not None
            else [f"* = {server}"]
        )
        (directory / "userlist.txt").write_text(
            "".join(f"{_quoted(user)} {_quoted(password)}\n" for user, password in users.items())
        )
        (directory / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    *entries,
                    "",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {directory / 'userlist.txt'}",
                    "pool_mode = transaction",
                    f"default_pool_size = {pool_size}",
                    "min_pool_size = 0",
                    "reserve_pool_size = 0",
                    f"max_client_conn = {max_client_conn}",
                    f"stats_users = {next(iter(users))}",
                    "logfile =",
                    "pidfile =",
                    "",
                ]
            )
        )
        command = [PGBOUNCER]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # pgbouncer refuses to run as root
        command.append(str(directory / "pgbouncer.ini"))
        log = (directory / "pgbouncer.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (the pgbouncer binary, our config)
            command, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        bouncer = cls(process=process, port=port, directory=directory)
        bouncer._wait_until_listening()
        return bouncer

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited at start:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"pgbouncer did not listen:\n{self.log()}") from None
                time.sleep(0.01)

    def log(self) -> str:
        return (self.directory / "pgbouncer.log").read_text(errors="replace")

    def conninfo(self, *, user: str, password: str, dbname: str) -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, user=user, password=password, dbname=dbname
        )

    def show(self, what: str, *, user: str) -> list[dict]:
        """SHOW <what> on the admin console, as dicts."""
        with psycopg.connect(
            self.conninfo(user=user, password="", dbname="pgbouncer"), autocommit=True
        ) as admin:
            cursor = admin.execute(f"SHOW {what}", prepare=False)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-size", type=int, default=1)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")

    url = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    user, password = url.username or "", url.password or ""
    with tempfile.TemporaryDirectory(prefix="tdpgbouncer-") as directory:
        os.chmod(directory, 0o700)
        bouncer = PgBouncer.start(
            Path(directory),
            server_host=url.hostname or "127.0.0.1",
            server_port=url.port or 5432,
            users={user: password},
            pool_size=args.pool_size,
            max_client_conn=100,
        )
        try:
            netloc = f"{quote(user)}:{quote(password)}@127.0.0.1:{bouncer.port}"
            environment = {
                **os.environ,
                "DATABASE_URL": urlunsplit(url._replace(netloc=netloc)),
                "DATABASE_POOLING": "transaction",
            }
            print(
                f"pgbouncer {bouncer.port}: transaction mode, pool size {args.pool_size}; "
                f"runtime connection through it, owner connection direct",
                file=sys.stderr,
            )
            status = subprocess.call(command, env=environment)  # noqa: S603 (the caller's command)
            stats = [
                row for row in bouncer.show("STATS", user=user) if row["database"] != "pgbouncer"
            ]
        finally:
            bouncer.stop()
    for row in stats:
        print(
            f"pgbouncer: {row['database']}: {row['total_xact_count']} transactions, "
            f"{row['total_query_count']} queries",
            file=sys.stderr,
        )
    # The test databases are the ones besides DATABASE_URL's own.
    if status == 0 and not any(
        row["database"] != url.path.lstrip("/") and row["total_xact_count"] > 0 for row in stats
    ):
        print("pgbouncer: no transaction of a test database went through it", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
