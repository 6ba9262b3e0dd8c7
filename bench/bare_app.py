"""The baseline: a bare Litestar app with one POST handler answering 202, under uvicorn.

It parses the same JSON body as `POST /v1/orders` and returns a small JSON body, so the gap
between it and NIJA is what NIJA itself costs (validation, auth, database, events), not HTTP.

Run: python bench/bare_app.py --port 8123
"""

from __future__ import annotations

import argparse
import uuid
from decimal import Decimal

import msgspec
import uvicorn
from litestar import Litestar, post


class OrderIn(msgspec.Struct, frozen=True):
    symbol: str
    side: str
    type: str
    quantity: Decimal


class Accepted(msgspec.Struct, frozen=True):
    id: str
    status: str


@post("/v1/orders", status_code=202, sync_to_thread=False)
def place(data: OrderIn) -> Accepted:
    return Accepted(id=str(uuid.uuid4()), status="accepted")


@post("/health", status_code=200, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "alive"}


app = Litestar([place, health], debug=False, logging_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
