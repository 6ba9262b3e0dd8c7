"""A built single-page app is served at its prefix (deep links included) under a strict CSP;
an unbuilt one answers a 503 problem saying how to build it; the API's own 404s are untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from modules.kernel.errors import EXCEPTION_HANDLERS
from modules.kernel.frontends import single_page_app

INDEX = (
    '<!doctype html><div id="root"></div>'
    '<script type="module" src="/web/assets/main-1a2b.js"></script>'
)


@get("/v1/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"pong": "yes"}


def _app(*spas: object) -> Litestar:
    return Litestar(
        [ping], plugins=list(spas), exception_handlers=dict(EXCEPTION_HANDLERS), logging_config=None
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    dist = tmp_path / "web" / "dist"
    dist.mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "main-1a2b.js").write_text("console.log('panel')")
    return dist


@pytest.fixture
def client(built: Path, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    app = _app(
        single_page_app("/web", built, name="web panel", build_hint="make web"),
        single_page_app("/other", tmp_path / "missing", name="other app", build_hint="make other"),
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/web", "/web/", "/web/users/42", "/web/audit?action=x"])
def test_every_deep_link_gets_the_index(client: TestClient[Litestar], path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.text == INDEX
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"


def test_assets_are_served_from_the_build(client: TestClient[Litestar]) -> None:
    answer = client.get("/web/assets/main-1a2b.js")
    assert answer.status_code == 200
    assert answer.text == "console.log('panel')"
    assert client.get("/web/assets/gone-0000.js").status_code == 404


@pytest.mark.parametrize("path", ["/web/users", "/web/assets/main-1a2b.js", "/other/x"])
def test_a_strict_policy_forbids_inline_script_other_origins_and_framing(
    client: TestClient[Litestar], path: str
) -> None:
    headers = client.get(path).headers
    policy = dict(
        part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no other origin
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_an_unbuilt_app_answers_a_problem_naming_the_build(client: TestClient[Litestar]) -> None:
    for path in ("/other", "/other/deep/link"):
        answer = client.get(path)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["code"] == "frontend_not_built"
        assert "make other" in body["detail"] and "other app" in body["detail"]


def test_the_api_keeps_its_answers_and_its_problem_404s(client: TestClient[Litestar]) -> None:
    assert client.get("/v1/ping").json() == {"pong": "yes"}
    assert "content-security-policy" not in client.get("/v1/ping").headers
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_a_prefix_must_be_a_path_segment(built: Path) -> None:
    for prefix in ("admin", "/admin/", "/"):
        with pytest.raises(ValueError, match="prefix"):
            single_page_app(prefix, built, name="x", build_hint="make x")
