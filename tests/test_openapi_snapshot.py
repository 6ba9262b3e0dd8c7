"""The committed OpenAPI snapshot types the app and the panel: it must not drift from the API."""

from __future__ import annotations

from pathlib import Path

from app import openapi_document

SNAPSHOT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def test_the_committed_snapshot_is_the_live_schema() -> None:
    live = openapi_document()
    assert SNAPSHOT.exists(), "docs/openapi.json is missing: run `make openapi`"
    assert SNAPSHOT.read_text() == live, (
        "the API changed but docs/openapi.json (and the clients typed from it) did not: "
        "run `make openapi` and commit the result"
    )
