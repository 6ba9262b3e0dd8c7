"""A loopback Binance spot REST simulator, for proving `CcxtVenue` with ccxt's own `binance` class.

It speaks the endpoints ccxt's binance class calls for spot trading, with Binance's answers:
public `ping`, `time`, `exchangeInfo` (LOT_SIZE / PRICE_FILTER / NOTIONAL filters), `depth`,
`ticker/price`, `klines` (binance_klines.py); signed `order` (POST / GET / DELETE),
`openOrders`, `myTrades`, `account`, and `/sapi/v1/account/apiRestrictions`. Signed requests
are checked like Binance checks them: `X-MBX-APIKEY` must name a known key (else 401 -2015),
`timestamp` must fall inside `recvWindow` (else 400 -1021), and `signature` must be HMAC-SHA256
over the query string concatenated with the body, exactly as sent (else 400 -1022).
The exchange rules live in `binance_engine.py`.

Test controls (not Binance): `POST /_sim/accounts` adds an API key, `GET /_sim/orders` lists
every order (count by client order id for exactly-once checks), `GET /_sim/unknown` lists
requests to paths the simulator does not serve, `POST /_sim/faults` injects faults:
`{"status_429": p, "status_5xx": p, "timeout": p, "timeout_seconds": s, "seed": n,
"paths": ["POST /api/v3/order", "/api/v3/depth"],
"next": ["429", "5xx", "5xx-after", "timeout", "timeout-before", "ok"]}`. Rates apply at random
to matching requests (`paths` entries match a path, or a method and path; none: every request);
`next` is consumed first, one entry per matching request, for deterministic tests. A `timeout`
handles the request (an order is created) and then holds the answer for `timeout_seconds`: the
caller cannot know whether it was placed. `timeout-before` holds it without handling it;
`5xx-after` handles it, then answers 503. `DELETE /_sim/faults` clears them.

In-process: `async with BinanceSim() as sim: sim.base_url`. As a process:
`python -m tests.fakes.binance_sim --port 0 [--account KEY:SECRET]` prints one JSON line
`{"base_url": ..., "port": ...}` and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import signal
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.binance_engine import (
    MARKETS,
    Account,
    BinanceError,
    Engine,
    book_levels,
    fmt,
    now_ms,
)
from tests.fakes.binance_info import exchange_info
from tests.fakes.binance_klines import klines

MAX_RECV_WINDOW = 60_000
TOO_MUCH_WEIGHT = (
    "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
DEFAULT_RECV_WINDOW = 5_000


@dataclass
class Faults:
    status_429: float = 0.0
    status_5xx: float = 0.0
    timeout: float = 0.0
    timeout_seconds: float = 30.0
    paths: list[str] = field(default_factory=list)
    next: deque[str] = field(default_factory=deque)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    injected: dict[str, int] = field(default_factory=dict)

    def pick(self, method: str, path: str) -> str:
        if self.paths and path not in self.paths and f"{method} {path}" not in self.paths:
            return "ok"
        if self.next:
            fault = self.next.popleft()
        else:
            roll = self.rng.random()
            fault = "ok"
            for name, rate in (
                ("429", self.status_429),
                ("5xx", self.status_5xx),
                ("timeout", self.timeout),
            ):
                if roll < rate:
                    fault = name
                    break
                roll -= rate
        if fault != "ok":
            self.injected[fault] = self.injected.get(fault, 0) + 1
        return fault


class BinanceSim:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.engine = Engine()
        self.faults = Faults()
        self.unknown: list[str] = []
        self.requests: list[str] = []
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(middlewares=[self._faults_middleware])
        app.router.add_route("*", "/_sim/{what}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://{self._host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BinanceSim:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- plumbing ---------------------------------------------------------------------------
    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        self.requests.append(f"{request.method} {request.path}")
        fault = self.faults.pick(request.method, request.path)
        if fault == "429":
            return _error(
                429,
                -1003,
                TOO_MUCH_WEIGHT,
                {"Retry-After": "1"},
            )
        if fault == "5xx":
            # Binance's gateway answers an overload with a bare 503, not a JSON error.
            return web.Response(status=503, text="Service Unavailable")
        if fault == "timeout-before":
            await asyncio.sleep(self.faults.timeout_seconds)
            return web.Response(status=504, text="Gateway Timeout")
        response = await handler(request)
        if fault == "5xx-after":
            return web.Response(status=503, text="Service Unavailable")
        if fault == "timeout":
            await asyncio.sleep(self.faults.timeout_seconds)
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = _ROUTES.get((request.method, request.path))
        if route is None:
            self.unknown.append(f"{request.method} {request.path}")
            return web.Response(status=404, text="<html><body><h1>404 Not Found</h1></body></html>")
        name, signed = route
        try:
            params = await _params(request)
            account = self._authenticate(request, params) if signed else None
            result = getattr(self, name)(params, account)
        except BinanceError as error:
            return _error(error.status, error.code, error.msg)
        return web.json_response(result)

    def _authenticate(self, request: web.Request, params: dict[str, str]) -> Account:
        key = request.headers.get("X-MBX-APIKEY", "")
        if not key:
            raise BinanceError(401, -2014, "API-key format invalid.")
        account = self.engine.accounts.get(key)
        if account is None:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        timestamp, window = (
            params.get("timestamp"),
            params.get("recvWindow", str(DEFAULT_RECV_WINDOW)),
        )
        if not timestamp or not timestamp.isdigit() or not window.isdigit():
            raise BinanceError(
                400,
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
            )
        if int(window) > MAX_RECV_WINDOW:
            raise BinanceError(400, -1131, "recvWindow must be less than 60000")
        server = now_ms()
        if int(timestamp) >= server + 1000 or server - int(timestamp) > int(window):
            raise BinanceError(
                400, -1021, "Timestamp for this request is outside of the recvWindow."
            )
        if not hmac.compare_digest(
            params.get("signature", "").lower(), _expected(request, account)
        ):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")
        return account

    # -- Binance endpoints ------------------------------------------------------------------
    def ping(self, params: dict[str, str], account: Account | None) -> Any:
        return {}

    def time(self, params: dict[str, str], account: Account | None) -> Any:
        return {"serverTime": now_ms()}

    def exchange_info(self, params: dict[str, str], account: Account | None) -> Any:
        return exchange_info()

    def depth(self, params: dict[str, str], account: Account | None) -> Any:
        market = self.engine.market(params.get("symbol"))
        limit = int(params.get("limit", "100"))
        bids, asks = book_levels(market)
        return {
            "lastUpdateId": now_ms(),
            "bids": [[fmt(p), fmt(q)] for p, q in bids[:limit]],
            "asks": [[fmt(p), fmt(q)] for p, q in asks[:limit]],
        }

    def ticker_price(self, params: dict[str, str], account: Account | None) -> Any:
        symbol = params.get("symbol")
        if symbol:
            return {"symbol": symbol, "price": fmt(self.engine.market(symbol).mid)}
        return [{"symbol": m.symbol, "price": fmt(m.mid)} for m in MARKETS.values()]

    def klines(self, params: dict[str, str], account: Account | None) -> Any:
        return klines(self.engine.market(params.get("symbol")), params)

    def account(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return self.engine.account_view(account)

    def api_restrictions(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return {
            "ipRestrict": False,
            "createTime": 1_700_000_000_000,
            "enableReading": True,
            "enableSpotAndMarginTrading": account.can_trade,
            "enableWithdrawals": account.can_withdraw,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }

    def new_order(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        _require_trade(account)
        order = self.engine.place(account, params)
        if params.get("newOrderRespType", "FULL") == "ACK":
            return {
                "symbol": order.market.symbol,
                "orderId": order.order_id,
                "orderListId": -1,
                "clientOrderId": order.client_order_id,
                "transactTime": order.time,
            }
        return order.full()

    def get_order(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return self.engine.find(account, params).view()

    def cancel_order(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        _require_trade(account)
        order = self.engine.cancel(account, params)
        view = order.view()
        view["origClientOrderId"] = order.client_order_id
        return view

    def open_orders(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return [o.view() for o in self.engine.open_orders(account, params.get("symbol"))]

    def all_orders(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return [o.view() for o in self.engine.all_orders(account, params)]

    def my_trades(self, params: dict[str, str], account: Account | None) -> Any:
        assert account is not None
        return self.engine.my_trades(account, params)

    # -- test controls ----------------------------------------------------------------------
    async def _control(self, request: web.Request) -> web.StreamResponse:
        what, method = request.match_info["what"], request.method
        if what == "orders" and method == "GET":
            return web.json_response([_order_row(o) for o in self.engine.orders])
        if what == "unknown" and method == "GET":
            return web.json_response(self.unknown)
        if what == "requests" and method == "GET":
            return web.json_response(self.requests)
        if what == "accounts" and method == "POST":
            body = await request.json()
            self.engine.add_account(
                body["api_key"],
                body["api_secret"],
                can_trade=body.get("can_trade"),
                can_withdraw=body.get("can_withdraw"),
                balances=body.get("balances"),
            )
            return web.json_response({"ok": True})
        if what == "faults" and method == "POST":
            self.configure_faults(await request.json())
            return web.json_response({"ok": True})
        if what == "faults" and method == "DELETE":
            self.faults = Faults()
            return web.json_response({"ok": True})
        if what == "faults" and method == "GET":
            return web.json_response(
                {"injected": self.faults.injected, "pending": list(self.faults.next)}
            )
        return web.json_response({"error": f"no control {method} {what}"}, status=404)

    def configure_faults(self, body: dict[str, Any]) -> None:
        self.faults = Faults(
            status_429=float(body.get("status_429", 0)),
            status_5xx=float(body.get("status_5xx", 0)),
            timeout=float(body.get("timeout", 0)),
            timeout_seconds=float(body.get("timeout_seconds", 30)),
            paths=list(body.get("paths", [])),
            next=deque(str(f) for f in body.get("next", [])),
            rng=random.Random(int(body.get("seed", 0))),
        )


_ROUTES: dict[tuple[str, str], tuple[str, bool]] = {
    ("GET", "/api/v3/ping"): ("ping", False),
    ("GET", "/api/v3/time"): ("time", False),
    ("GET", "/api/v3/exchangeInfo"): ("exchange_info", False),
    ("GET", "/api/v3/depth"): ("depth", False),
    ("GET", "/api/v3/ticker/price"): ("ticker_price", False),
    ("GET", "/api/v3/klines"): ("klines", False),
    ("GET", "/api/v3/account"): ("account", True),
    ("POST", "/api/v3/order"): ("new_order", True),
    ("GET", "/api/v3/order"): ("get_order", True),
    ("DELETE", "/api/v3/order"): ("cancel_order", True),
    ("GET", "/api/v3/openOrders"): ("open_orders", True),
    ("GET", "/api/v3/allOrders"): ("all_orders", True),
    ("GET", "/api/v3/myTrades"): ("my_trades", True),
    ("GET", "/sapi/v1/account/apiRestrictions"): ("api_restrictions", True),
}


def _require_trade(account: Account) -> None:
    if not account.can_trade:
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def _raw_query(request: web.Request) -> str:
    return request.raw_path.partition("?")[2]


async def _params(request: web.Request) -> dict[str, str]:
    params = dict(parse_qsl(_raw_query(request), keep_blank_values=True))
    if request.can_read_body:
        body = (await request.read()).decode()
        request["raw_body"] = body
        params.update(parse_qsl(body, keep_blank_values=True))
    return params


def _expected(request: web.Request, account: Account) -> str:
    """HMAC-SHA256 over `totalParams`: the query string followed by the body, minus `signature`."""
    total = _strip_signature(_raw_query(request)) + _strip_signature(request.get("raw_body", ""))
    return hmac.new(account.api_secret.encode(), total.encode(), hashlib.sha256).hexdigest()


def _strip_signature(raw: str) -> str:
    parts = [p for p in raw.split("&") if p and not p.startswith("signature=")]
    return "&".join(parts)


def _error(status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


def _order_row(order: Any) -> dict[str, Any]:
    return {
        "api_key_last4": order.api_key[-4:],
        "symbol": order.market.symbol,
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "side": order.side,
        "type": order.type,
        "quantity": fmt(order.qty),
        "price": fmt(order.price) if order.price is not None else None,
        "status": order.status,
        "executed": fmt(order.executed),
    }


async def _serve(args: argparse.Namespace) -> None:
    sim = BinanceSim(args.host, args.port)
    for spec in args.account:
        key, _, secret = spec.partition(":")
        sim.engine.add_account(key, secret)
    await sim.start()
    print(
        json.dumps({"base_url": sim.base_url, "port": int(sim.base_url.rsplit(":", 1)[1])}),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Loopback Binance spot REST simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account", action="append", default=[], help="KEY:SECRET (repeatable)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
