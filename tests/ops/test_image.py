"""The Dockerfile: clean under hadolint, and the image the Nomad jobs expect.

No Docker engine runs where the tests run, so the image is checked as a file (hadolint, and
dockerfile-parse for its structure) and the wheel it installs is built and run in
test_wheel.py: multi-stage, the front-ends built by Node stages with the commands their projects
use, and handed to the wheel build where setup.py takes them; a non-root runtime user; `nija run`
as the entry point on the port the jobs' daprd calls; a health check on a route of the app.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from dockerfile_parse import DockerfileParser

from app import create_app
from modules.kernel.settings import load_settings
from tests.ops.deployment import ROOT, job, tool

DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def parsed() -> DockerfileParser:
    return DockerfileParser(path=str(DOCKERFILE))


def stages(parsed: DockerfileParser) -> dict[str, list[dict[str, str]]]:
    """Each stage's instructions, by stage name."""
    result: dict[str, list[dict[str, str]]] = {}
    current = ""
    for instruction in parsed.structure:
        if instruction["instruction"] == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", instruction["value"], re.IGNORECASE)
            assert match, f"every stage is named: {instruction['value']}"
            current = match.group(2)
            result[current] = []
        if current:  # the header's comments come before the first stage
            result[current].append(instruction)
    return result


def values(instructions: list[dict[str, str]], kind: str) -> list[str]:
    return [i["value"] for i in instructions if i["instruction"] == kind]


def test_hadolint_finds_nothing() -> None:
    assert "hadolint ignore" not in DOCKERFILE.read_text(), "no silenced rules"
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_front_ends_are_built_by_node_stages_and_shipped_in_the_wheel(
    parsed: DockerfileParser,
) -> None:
    by_stage = stages(parsed)
    assert list(by_stage) == ["admin", "mobile", "wheels", "runtime"]
    admin, mobile, wheels = by_stage["admin"], by_stage["mobile"], by_stage["wheels"]
    assert values(admin, "RUN") == ["npm ci --no-audit --no-fund", "npm run build"]
    # build:web is Expo's web export laid out as the platform serves it (index at /app, files
    # under /app/assets/: mobile/scripts/web-layout.mjs).
    assert values(mobile, "RUN") == ["npm ci --no-audit --no-fund", "npm run build:web"]
    for stage in (admin, mobile):
        base = values(stage, "FROM")[0].split()[0]
        assert re.fullmatch(r"node:\d+\.\d+\.\d+-\S+", base), f"pinned Node image: {base}"
    copies = values(wheels, "COPY")
    # setup.py's FRONTENDS read exactly these paths.
    assert "--from=admin /src/admin/dist ./admin/dist" in copies
    assert "--from=mobile /src/mobile/dist ./mobile/dist" in copies
    assert "modules/ ./modules/" in copies and "migrations/ ./migrations/" in copies
    assert any(v.startswith("pyproject.toml setup.py README.md app.py") for v in copies)
    assert values(wheels, "RUN") == ["pip wheel --no-cache-dir --wheel-dir /wheels ."]


def test_runtime_runs_nija_as_an_unprivileged_user_with_a_health_check(
    parsed: DockerfileParser,
) -> None:
    runtime = stages(parsed)["runtime"]
    [user] = values(runtime, "USER")
    assert user.split(":")[0] not in ("root", "0"), user
    assert re.fullmatch(r"\d+:\d+", user), "numeric, so an orchestrator can verify non-root"
    assert f"--uid {user.split(':')[0]}" in " ".join(values(runtime, "RUN"))
    assert json.loads(values(runtime, "ENTRYPOINT")[0]) == ["nija"]
    command = json.loads(values(runtime, "CMD")[0])
    assert command[0] == "run"
    port = command[command.index("--port") + 1]
    assert values(runtime, "EXPOSE") == [port]
    [healthcheck] = values(runtime, "HEALTHCHECK")
    probed = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", healthcheck)
    assert probed and probed.group(1) == port
    routes = {route.path for route in create_app(load_settings(environ={})).routes}
    assert probed.group(2) in routes
    # The jobs pass the same arguments to this entry point, on the port daprd calls.
    for name in ("nija", "nija-split"):
        for group in job(name).groups:
            assert group.app.config["args"] == command, f"{name}/{group.name}"
            assert "command" not in group.app.config, "the image's entry point runs nija"


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".nija", "**/node_modules", "admin/dist", "mobile/dist"} <= ignored
    for needed in ("app.py", "modules", "migrations", "pyproject.toml", "setup.py", "README.md"):
        assert needed not in ignored
