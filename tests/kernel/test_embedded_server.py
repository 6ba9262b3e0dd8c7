"""The embedded PostgreSQL never outlives the platform, and is never stopped under another user.

Real processes and a real server: `nija run` is started and signalled as an operator would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from modules.kernel.db import Database
from modules.kernel.embedded_pg import EmbeddedServer, live_postmaster

NIJA = str(Path(sys.executable).parent / "nija")
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("NIJA_TEST_DATABASE_URL")),
    reason="the suite runs against an external server; one embedded run covers this",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "NIJA_DATA_DIR": str(data_dir), "NIJA_LOG_LEVEL": "WARNING"}
    env.pop("NIJA_DATABASE_URL", None)
    process = subprocess.Popen(
        [NIJA, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "nija run exited during start-up"
        time.sleep(0.2)
    process.kill()
    raise AssertionError("nija run never became ready")


def _gone(pid: int, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_the_server_and_sigkill_leaves_one_the_next_start_adopts(
    embedded_tmp_path: Path,
) -> None:
    pgdata = embedded_tmp_path / "pg"
    first, _ = _start(embedded_tmp_path)
    postmaster = live_postmaster(pgdata)
    assert postmaster is not None
    first.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert first.wait(60) in (0, -signal.SIGTERM)
    assert _gone(postmaster), "the embedded server outlived nija run after SIGTERM"

    crashed, _ = _start(embedded_tmp_path)
    orphan = live_postmaster(pgdata)
    crashed.kill()
    crashed.wait(30)
    assert orphan is not None and live_postmaster(pgdata) == orphan  # a crash leaves it behind

    adopter, base = _start(embedded_tmp_path)
    assert httpx.get(f"{base}/ready", timeout=5).status_code == 200
    adopter.send_signal(signal.SIGINT)
    adopter.wait(60)
    assert _gone(orphan), "the orphan was adopted but not stopped"


def test_a_guest_leaves_the_server_to_its_owner(embedded_tmp_path: Path) -> None:
    owner = EmbeddedServer(str(embedded_tmp_path))
    owner.start()
    try:
        guest_process = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from modules.kernel.embedded_pg import EmbeddedServer as E;"
                "s = E(sys.argv[1]); s.start(); print(s.owned); s.stop()",
                str(embedded_tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert guest_process.stdout.strip() == "False"
        assert live_postmaster(embedded_tmp_path / "pg") is not None
    finally:
        owner.stop()
    assert live_postmaster(embedded_tmp_path / "pg") is None


async def test_the_embedded_server_analyses_young_tables_within_seconds(tmp_path: Path) -> None:
    # Plans cached while a table was empty are planned again only when ANALYZE runs: autovacuum
    # must look every 10 s, not every minute, or a fresh platform reads whole tables for a
    # minute (docs/performance.md).
    db = Database(None, str(tmp_path))
    await db.start()
    try:
        async with db.connection() as conn:
            assert await conn.fetchval("SHOW autovacuum_naptime") == "10s"
    finally:
        await db.stop()
