"""A throw-away PostgreSQL cluster for tests and benchmarks, from Debian's ``postgresql`` package.

``with TempCluster.start() as cluster: url = cluster.create_database("bench")`` runs ``initdb`` and ``pg_ctl``
of the newest installed PostgreSQL in a temporary folder (as the ``postgres`` user through ``runuser`` when
run as root, since PostgreSQL refuses root), on a free local port with trust authentication and no fsync,
and stops and deletes it on exit. Not for real data: use a managed cluster (see docs/web.md).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

USER = "postgres"


class PostgresMissingError(RuntimeError):
    """No PostgreSQL server binaries are installed (Debian: apt-get install postgresql)."""


def pg_bindir() -> Path | None:
    """The bin folder of the newest installed PostgreSQL, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr}")


@dataclass
class TempCluster:
    root: Path
    bindir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = USER

    @classmethod
    def start(cls, *, max_connections: int = 100) -> TempCluster:
        bindir = pg_bindir()
        if bindir is None:
            raise PostgresMissingError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        root = Path(tempfile.mkdtemp(prefix="glutemed-pg-"))
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(USER)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root=root, bindir=bindir, port=_free_port())
        try:
            _run(
                _as_postgres(
                    [
                        str(bindir / "initdb"),
                        "-D",
                        str(cluster.data),
                        "-U",
                        USER,
                        "--auth=trust",
                        "-E",
                        "UTF8",
                    ]
                )
            )
            options = (
                f"-p {cluster.port} -k {root} -c listen_addresses={cluster.host} -c fsync=off "
                f"-c max_connections={max_connections}"
            )
            _run(
                _as_postgres(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(cluster.data),
                        "-l",
                        str(root / "log"),
                        "-o",
                        options,
                        "-w",
                        "start",
                    ]
                )
            )
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cluster

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        _run([str(self.bindir / "createdb"), "-h", self.host, "-p", str(self.port), "-U", self.user, dbname])
        return self.url(dbname)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TempCluster:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
