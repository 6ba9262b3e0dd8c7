"""Start the platform the way a user does, `nija run`, in a subprocess, and stop it cleanly.

Used by the end-to-end test and the benchmarks. With a server URL the platform gets a fresh
database on that server (dropped afterwards); without one it starts its embedded PostgreSQL under
the data directory, exactly as `make run` does on a fresh machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

NIJA = Path(sys.executable).parent / "nija"
READY_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def fresh_database(server_url: str | None, prefix: str) -> AsyncIterator[str | None]:
    """A new, empty database on `server_url` (None when there is no server: use embedded)."""
    if not server_url:
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_with_database(server_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(_with_database(server_url, "postgres"))
        try:
            with contextlib.suppress(asyncpg.PostgresError):
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class PlatformProcess:
    """One `nija run` subprocess; stdout and stderr go to files so a chatty log never blocks."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/v1/ws"
        # The user's own NIJA_* settings must not leak into a run that claims to be pristine.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NIJA_")}
        env["NIJA_DATA_DIR"] = str(data_dir)
        if database_url:
            env["NIJA_DATABASE_URL"] = database_url
        env.update(extra_env or {})
        self._env = env
        self._stdout_path = data_dir.parent / f"{data_dir.name}.stdout.log"
        self._stderr_path = data_dir.parent / f"{data_dir.name}.stderr.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def command(self, *args: str, stdin: str = "", timeout: float = 120) -> str:
        """Run another `nija` command beside the server, on its data dir and database (as an
        operator would, e.g. `nija users create-admin`); returns its output, raises on failure."""
        done = subprocess.run(
            [str(NIJA), *args],
            env=self._env,
            input=stdin.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"nija {' '.join(args)} failed:\n{done.stderr.decode()[-4000:]}")
        return done.stdout.decode()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self._process = subprocess.Popen(
                [str(NIJA), "run", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self._env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                # Its own process group, so a hard kill also takes the embedded PostgreSQL.
                start_new_session=True,
            )

    async def wait_ready(self, within: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise RuntimeError(f"nija run exited early:\n{self.stderr()[-4000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"nija run not ready after {within:.0f}s:\n{self.stderr()[-4000:]}")

    def stop(self) -> int | None:
        """SIGTERM for a graceful shutdown (which also stops embedded PostgreSQL); then force."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self._stop_leftover_postgres()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the app process: a crash at an arbitrary instant, no clean-up.

        Only the app dies; the database server (embedded or not) lives on, as a separate server
        does in production, and the restarted app attaches to it.
        """
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    def _stop_leftover_postgres(self) -> None:
        """After a hard kill the embedded server may outlive its owner; stop it by its data dir."""
        import psutil

        pg_dir = str(self.data_dir / "pg")
        for proc in psutil.process_iter(attrs=["name", "cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            if proc.info.get("name") == "postgres" and any(pg_dir in part for part in cmdline):
                with contextlib.suppress(psutil.Error):
                    proc.terminate()
                    proc.wait(10)

    def stdout(self) -> str:
        return self._stdout_path.read_text(errors="replace") if self._stdout_path.exists() else ""

    def stderr(self) -> str:
        return self._stderr_path.read_text(errors="replace") if self._stderr_path.exists() else ""

    def logs(self) -> str:
        return self.stdout() + self.stderr()


@contextlib.asynccontextmanager
async def running_platform(
    data_dir: Path,
    *,
    server_url: str | None,
    extra_env: Mapping[str, str] | None = None,
    db_prefix: str = "nija_run",
) -> AsyncIterator[PlatformProcess]:
    """Start `nija run`, wait for /ready, yield it, and always stop it (and its database)."""
    async with fresh_database(server_url, db_prefix) as database_url:
        platform = PlatformProcess(data_dir, database_url=database_url, extra_env=extra_env)
        platform.start()
        try:
            await platform.wait_ready()
            yield platform
        finally:
            await asyncio.to_thread(platform.stop)
