"""A built single-page app served under a prefix (the traders' app at /app)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from modules.kernel.frontends import spa_routes


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "_expo" / "static" / "js" / "web").mkdir(parents=True)
    (dist / "index.html").write_text('<div id="root"></div><script src="/app/_expo/x.js"></script>')
    (dist / "_expo" / "static" / "js" / "web" / "entry-abc.js").write_text("console.log(1)")
    (dist / "metadata.json").write_text("{}")
    (root / "secret.txt").write_text("not for the web")
    return dist


def test_files_deep_links_and_cache_headers(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    with TestClient(app=Litestar(route_handlers=spa_routes("/app", dist))) as client:
        index = client.get("/app")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert index.headers["cache-control"] == "no-cache"
        assert "attachment" not in index.headers.get("content-disposition", "")
        bundle = client.get("/app/_expo/static/js/web/entry-abc.js")
        assert bundle.text == "console.log(1)"
        assert "immutable" in bundle.headers["cache-control"]
        # A route of the app's own router answers the app, which then shows that screen.
        deep = client.get("/app/position/123")
        assert deep.status_code == 200 and deep.text == index.text
        assert client.get("/app/metadata.json").json() == {}


def test_nothing_outside_the_build_is_served(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    with TestClient(app=Litestar(route_handlers=spa_routes("app", dist))) as client:
        for path in ("/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/..%2fsecret.txt"):
            response = client.get(path)
            assert "not for the web" not in response.text, path


def test_a_missing_build_says_how_to_make_it(tmp_path: Path) -> None:
    with TestClient(
        app=Litestar(route_handlers=spa_routes("/app", tmp_path / "nothing"))
    ) as client:
        response = client.get("/app/positions")
        assert response.status_code == 404
        assert "make mobile-build" in response.json()["detail"]
