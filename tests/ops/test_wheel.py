"""The wheel the image installs: it builds, and installed in a fresh venv it starts and serves.

No Docker engine runs where the tests run, so this checks what the image's last two stages rely
on, in under a minute:

1. the wheel builds from the sources the Dockerfile copies (a copy of them, with built front-ends:
   the real `admin/dist` and `mobile/dist` when they were built, else stand-ins), and carries the
   app, every module's migrations, the bundled password list, the `nija` entry point and the
   front-ends under `modules/kernel/web/` (where modules/kernel/web_assets.py finds them);
2. installed alone (`--no-deps`) into a fresh venv, whose dependencies come from the test's own
   environment, its code is imported from the venv, never from the checkout;
3. `nija run` from that venv, on embedded defaults (its own PostgreSQL, migrated at start-up),
   answers `/health` and `/ready`, takes a sign-up (the migrations' tables exist), and, when the
   front-ends were built, serves `/admin/` and `/app/` with the packaged index pages.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.launcher import free_port
from tests.ops.deployment import ROOT

SOURCES = ("pyproject.toml", "setup.py", "README.md", "app.py", "modules", "migrations")
FRONTENDS = {"admin": ROOT / "admin" / "dist", "mobile": ROOT / "mobile" / "dist"}
STAND_IN = "<!doctype html><title>stand-in {name}</title>"


def built(name: str) -> bool:
    return (FRONTENDS[name] / "index.html").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    for name, dist in FRONTENDS.items():
        target = source / name / "dist"
        if built(name):
            shutil.copytree(dist, target)
        else:
            target.mkdir(parents=True)
            (target / "index.html").write_text(STAND_IN.format(name=name))
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(source)],
        check=True, timeout=120,
    )  # fmt: skip
    [built_wheel] = out.glob("nija-*.whl")
    return built_wheel


def test_the_wheel_carries_the_app_its_migrations_and_the_front_ends(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"app.py", "modules/kernel/settings.py", "migrations/piccolo_conf.py"} <= names
    assert "modules/identity/adapters/common_passwords.txt" in names
    for module in ("kernel", "identity", "vault", "routing", "execution", "dashboard", "strategy"):
        assert any(n.startswith(f"migrations/{module}/") and n.endswith(".py") for n in names)
    for name in FRONTENDS:
        assert f"modules/kernel/web/{name}/index.html" in names
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "nija = app:cli" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies, from this environment: a plain path entry, so none of its own .pth
    # files (an editable checkout of the platform) take effect in the fresh venv.
    (Path(purelib) / "nija_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         str(wheel)],
        check=True, timeout=120,
    )  # fmt: skip
    return home


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIJA_", "PYTHON"))}
    env.update(extra)
    return env


def test_the_installed_code_is_the_wheels(fresh_venv: Path, tmp_path: Path) -> None:
    shown = subprocess.run(
        [fresh_venv / "bin" / "python", "-c",
         "import app, modules.kernel.web_assets as w; print(app.__file__); "
         "print(w.built_frontend('admin')); print(w.built_frontend('mobile'))"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=clean_env(),
    ).stdout.split()  # fmt: skip
    assert all(line.startswith(str(fresh_venv)) for line in shown), shown


@contextlib.contextmanager
def nija_run(home: Path, data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = open(data_dir.parent / "nija-run.log", "wb")
    process = subprocess.Popen(
        [home / "bin" / "nija", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=data_dir.parent, env=clean_env(NIJA_DATA_DIR=str(data_dir), NIJA_LOG_LEVEL="WARNING"),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # stops the embedded PostgreSQL too
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        log.close()


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        assert process.poll() is None, f"nija run exited:\n{log.read_text()[-4000:]}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"not ready within 45 s:\n{log.read_text()[-4000:]}")


@pytest.mark.timeout(90)
def test_nija_run_from_the_fresh_venv_serves(fresh_venv: Path, embedded_tmp_path: Path) -> None:
    data_dir = embedded_tmp_path / "data"
    with nija_run(fresh_venv, data_dir) as (base_url, process):
        wait_ready(base_url, process, embedded_tmp_path / "nija-run.log")
        health = httpx.get(f"{base_url}/health", timeout=5)
        assert health.status_code == 200, health.text
        assert (data_dir / "pg").is_dir(), "its own embedded PostgreSQL"
        routes = httpx.get(f"{base_url}/schema/openapi.json", timeout=5).json()["paths"]
        assert "/v1/orders" in routes
        # The wheel's migrations were applied at start-up: a sign-up writes identity's tables.
        account = {"email": "wheel@example.com", "password": "a wheel test pass phrase 7"}
        signed_up = httpx.post(f"{base_url}/v1/auth/register", json=account, timeout=10)
        assert signed_up.status_code == 201, signed_up.text
        for name, path in (("admin", "/admin/"), ("mobile", "/app/")):
            if not built(name):
                continue  # nothing built to serve; the stand-in only proved the packaging
            page = httpx.get(f"{base_url}{path}", timeout=5, follow_redirects=True)
            assert page.status_code == 200, f"{path} not served from the installed package"
            title = re.search(r"<title>(.*?)</title>", (FRONTENDS[name] / "index.html").read_text())
            assert title is None or title.group(0) in page.text, f"{path} is not the built page"
