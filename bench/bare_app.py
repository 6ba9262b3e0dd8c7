"""The baseline: a bare Litestar app under uvicorn, one handler per benchmarked endpoint.

`POST /v1/orders` parses the same JSON body as NIJA's and answers 202 with a small JSON body;
`GET /v1/dashboard/overview` answers a fixed body about the size of a trader's overview;
`WS /ws` holds a socket open and echoes. The gap
between it and NIJA is what NIJA itself costs (validation, auth, database, events), not HTTP.

Run: python bench/bare_app.py --port 8123
"""

from __future__ import annotations

import argparse
import uuid
from decimal import Decimal

import msgspec
import uvicorn
from litestar import Litestar, WebSocket, get, post, websocket


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


_PERIOD = {"pnl": "12.5", "pnl_pct": "0.12", "trades": 40, "closed": 20, "win_rate": "55.00"}
_ITEM = {"id": "trade-1", "type": "close", "at": "2026-11-02T09:00:00Z", "venue": "binance"}
OVERVIEW = {
    "timezone": "UTC",
    "bot": {"status": "running", "revision": 3},
    "equity_usd": "10000",
    "balances": [{"venue": v, "equity_usd": "3333", "balances": {"USD": "3333"}} for v in "abc"],
    "pnl": {k: _PERIOD for k in ("today", "7d", "30d", "all")},
    "open_positions": [{"id": str(n), "symbol": "BTC/USD", "pnl": "1.5"} for n in range(3)],
    "last_trade": _ITEM,
    "activity": [_ITEM] * 5,
}


@get("/v1/dashboard/overview", sync_to_thread=False)
def overview() -> dict[str, object]:
    return OVERVIEW


@post("/health", status_code=200, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "alive"}


@websocket("/ws")
async def echo(socket: WebSocket) -> None:  # type: ignore[type-arg]
    """A socket held open: answers each message with itself until the client leaves."""
    await socket.accept()
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        await socket.send_text(message.get("text") or "")


app = Litestar([place, overview, health, echo], debug=False, logging_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
