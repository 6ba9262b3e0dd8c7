"""Built single-page apps served by the platform under a prefix (the traders' app at `/app`).

Every path under the prefix answers the file of that name from the build, or the app's
`index.html` so a deep link (`/app/position/…`) opens in the app, whose router takes over. A
build that is missing answers 404 with how to make it, rather than failing the whole platform.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.params import FromPath
from litestar.response import File

# Hashed bundles never change under their name; index.html must always be asked again.
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"


def _file(path: Path, cache: str) -> File:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(
        path=path,
        media_type=media_type,
        content_disposition_type="inline",
        headers={"Cache-Control": cache},
    )


def spa_routes(prefix: str, dist: Path) -> list[Any]:
    """Route handlers serving the SPA built into `dist` at `prefix` (no leading slash needed)."""
    prefix = "/" + prefix.strip("/")
    root = dist.resolve()
    name = prefix.strip("/").replace("/", "-")

    def answer(path: str) -> Response[Any] | File:
        index = root / "index.html"
        if not index.is_file():
            return Response(
                {"detail": f"{prefix} is not built: run `make mobile-build`"},
                status_code=404,
                media_type="application/json",
            )
        wanted = (root / path.lstrip("/")).resolve()
        if path and wanted.is_relative_to(root) and wanted.is_file():
            hashed = "/_expo/static/" in f"/{path}" or "/assets/" in f"/{path}"
            return _file(wanted, _IMMUTABLE if hashed else _REVALIDATE)
        return _file(index, _REVALIDATE)

    @get(f"{prefix}", include_in_schema=False, name=f"{name}-index", sync_to_thread=False)
    def index() -> Response[Any] | File:
        return answer("")

    @get(
        f"{prefix}/{{path:path}}",
        include_in_schema=False,
        name=f"{name}-files",
        sync_to_thread=False,
    )
    def files(path: FromPath[str]) -> Response[Any] | File:
        return answer(path)

    return [index, files]
