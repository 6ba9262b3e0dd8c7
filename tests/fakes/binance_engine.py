"""The exchange side of the Binance simulator: markets, accounts, matching, orders and trades.

Kept apart from the HTTP layer (`binance_sim.py`) so the rules read like Binance's spot rules:
filters (LOT_SIZE, PRICE_FILTER, NOTIONAL) checked as Binance checks them, `newClientOrderId`
unique per account (a duplicate is refused with -2010 "Duplicate order sent." — stricter than
Binance, which only requires uniqueness among open orders, and exactly what an exactly-once test
needs), balances debited and credited. Books are static, seeded ladders around a fixed mid, so
every run fills at the same prices; liquidity is not consumed by trades. Commission is charged
in the quote asset at the account's taker rate (a simplification: Binance charges the received
asset unless BNB pays).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any


class BinanceError(Exception):
    """A Binance error answer: HTTP status plus the `{"code", "msg"}` body."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg


@dataclass(frozen=True)
class Market:
    symbol: str
    base: str
    quote: str
    mid: Decimal
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    level_size: Decimal
    levels: int = 20


MARKETS: dict[str, Market] = {
    "BTCUSDT": Market(
        symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        mid=Decimal("65000.00"),
        tick=Decimal("0.01"),
        step=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        min_notional=Decimal("5"),
        level_size=Decimal("0.5"),
    ),
    "ETHUSDT": Market(
        symbol="ETHUSDT",
        base="ETH",
        quote="USDT",
        mid=Decimal("3200.00"),
        tick=Decimal("0.01"),
        step=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("9000"),
        min_notional=Decimal("5"),
        level_size=Decimal("8"),
    ),
}
TAKER = Decimal("0.001")
SPREAD_BPS = Decimal("1")
STEP_BPS = Decimal("2")


def fmt(value: Decimal) -> str:
    return f"{value:.8f}"


def now_ms() -> int:
    return int(time.time() * 1000)


def book_levels(
    market: Market,
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    """Bids (best first) and asks (best first); deeper levels hold more size."""
    bids, asks = [], []
    for i in range(market.levels):
        offset = market.mid * (SPREAD_BPS / 2 + STEP_BPS * i) / Decimal(10_000)
        size = (market.level_size * (1 + Decimal(i) / 4)).quantize(market.step)
        bids.append(((market.mid - offset).quantize(market.tick, ROUND_DOWN), size))
        asks.append(((market.mid + offset).quantize(market.tick), size))
    return bids, asks


@dataclass
class Account:
    api_key: str
    api_secret: str
    can_trade: bool = True
    can_withdraw: bool = False
    balances: dict[str, Decimal] = field(default_factory=dict)
    uid: int = 0


@dataclass
class Trade:
    id: int
    order_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int


@dataclass
class Order:
    order_id: int
    api_key: str
    market: Market
    client_order_id: str
    side: str
    type: str
    qty: Decimal
    price: Decimal | None
    time_in_force: str | None
    status: str
    time: int
    trades: list[Trade] = field(default_factory=list)

    @property
    def executed(self) -> Decimal:
        return sum((t.qty for t in self.trades), Decimal(0))

    @property
    def quote_qty(self) -> Decimal:
        return sum((t.qty * t.price for t in self.trades), Decimal(0))

    def view(self) -> dict[str, Any]:
        """The order as GET /api/v3/order shows it."""
        return {
            "symbol": self.market.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price or Decimal(0)),
            "origQty": fmt(self.qty),
            "executedQty": fmt(self.executed),
            "cummulativeQuoteQty": fmt(self.quote_qty),
            "status": self.status,
            "timeInForce": self.time_in_force or "GTC",
            "type": self.type,
            "side": self.side,
            "stopPrice": fmt(Decimal(0)),
            "icebergQty": fmt(Decimal(0)),
            "time": self.time,
            "updateTime": self.time,
            "isWorking": self.status in ("NEW", "PARTIALLY_FILLED"),
            "workingTime": self.time,
            "origQuoteOrderQty": fmt(Decimal(0)),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    def full(self) -> dict[str, Any]:
        """The order as POST /api/v3/order answers with newOrderRespType=FULL."""
        out = {k: v for k, v in self.view().items() if k not in _NOT_IN_ACK}
        out["transactTime"] = self.time
        out["fills"] = [
            {
                "price": fmt(t.price),
                "qty": fmt(t.qty),
                "commission": fmt(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.id,
            }
            for t in self.trades
        ]
        return out


_NOT_IN_ACK = {"stopPrice", "icebergQty", "time", "updateTime", "isWorking"}


class Engine:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.orders: list[Order] = []
        self._order_ids = itertools.count(1000)
        self._trade_ids = itertools.count(500)
        self._uids = itertools.count(1)

    # -- accounts ---------------------------------------------------------------------------
    def add_account(
        self,
        api_key: str,
        api_secret: str,
        *,
        can_trade: bool | None = None,
        can_withdraw: bool | None = None,
        balances: dict[str, str] | None = None,
    ) -> Account:
        # Defaults follow the platform's sim key convention: `wd-` may withdraw, `ro-` only read.
        account = Account(
            api_key=api_key,
            api_secret=api_secret,
            can_trade=(not api_key.startswith("ro-")) if can_trade is None else can_trade,
            can_withdraw=api_key.startswith("wd-") if can_withdraw is None else can_withdraw,
            balances={k: Decimal(v) for k, v in (balances or _DEFAULT_BALANCES).items()},
            uid=next(self._uids),
        )
        self.accounts[api_key] = account
        return account

    def account_view(self, account: Account) -> dict[str, Any]:
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fmt(TAKER),
                "taker": fmt(TAKER),
                "buyer": fmt(Decimal(0)),
                "seller": fmt(Decimal(0)),
            },
            "canTrade": account.can_trade,
            "canWithdraw": account.can_withdraw,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": now_ms(),
            "accountType": "SPOT",
            "balances": [
                {"asset": asset, "free": fmt(amount), "locked": fmt(Decimal(0))}
                for asset, amount in sorted(account.balances.items())
            ],
            "permissions": ["SPOT"],
            "uid": account.uid,
        }

    # -- orders -----------------------------------------------------------------------------
    def market(self, symbol: str | None) -> Market:
        if not symbol:
            raise BinanceError(
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            )
        market = MARKETS.get(symbol)
        if market is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return market

    def place(self, account: Account, params: dict[str, str]) -> Order:
        market = self.market(params.get("symbol"))
        side, kind = params.get("side", ""), params.get("type", "")
        if side not in ("BUY", "SELL"):
            raise BinanceError(400, -1100, "Illegal characters found in parameter 'side'.")
        if kind not in ("MARKET", "LIMIT"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        client_id = params.get("newClientOrderId") or f"sim-{next(self._order_ids)}"
        if any(
            o.api_key == account.api_key and o.client_order_id == client_id for o in self.orders
        ):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        qty = _decimal(params, "quantity")
        price = _decimal(params, "price") if kind == "LIMIT" else None
        if kind == "LIMIT" and params.get("timeInForce") not in ("GTC", "IOC", "FOK"):
            raise BinanceError(
                400,
                -1102,
                "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
            )
        _check_filters(market, qty, price)
        order = Order(
            order_id=next(self._order_ids),
            api_key=account.api_key,
            market=market,
            client_order_id=client_id,
            side=side,
            type=kind,
            qty=qty,
            price=price,
            time_in_force=params.get("timeInForce"),
            status="NEW",
            time=now_ms(),
        )
        self._match(account, order)
        self.orders.append(order)
        return order

    def _match(self, account: Account, order: Order) -> None:
        bids, asks = book_levels(order.market)
        levels = asks if order.side == "BUY" else bids
        left = order.qty
        fills: list[tuple[Decimal, Decimal]] = []
        for price, size in levels:
            crosses = order.price is None or (
                price <= order.price if order.side == "BUY" else price >= order.price
            )
            if left <= 0 or not crosses:
                break
            take = min(left, size)
            fills.append((price, take))
            left -= take
        self._settle(account, order, fills, resting=left if order.type == "LIMIT" else Decimal(0))
        for price, qty in fills:
            commission = (price * qty * TAKER).quantize(Decimal("0.00000001"))
            order.trades.append(
                Trade(
                    next(self._trade_ids),
                    order.order_id,
                    price,
                    qty,
                    commission,
                    order.market.quote,
                    order.time,
                )
            )
        if left <= 0:
            order.status = "FILLED"
        elif order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"):
            order.status = "EXPIRED"
        else:
            order.status = "PARTIALLY_FILLED" if fills else "NEW"

    def _settle(
        self, account: Account, order: Order, fills: list[tuple[Decimal, Decimal]], resting: Decimal
    ) -> None:
        base, quote = order.market.base, order.market.quote
        cost = sum((p * q for p, q in fills), Decimal(0))
        qty = sum((q for _, q in fills), Decimal(0))
        fee = cost * TAKER
        bal = account.balances
        if order.side == "BUY":
            needed = cost + fee + resting * (order.price or Decimal(0))
            if bal.get(quote, Decimal(0)) < needed:
                raise BinanceError(
                    400, -2010, "Account has insufficient balance for requested action."
                )
            bal[quote] = bal.get(quote, Decimal(0)) - cost - fee
            bal[base] = bal.get(base, Decimal(0)) + qty
        else:
            if bal.get(base, Decimal(0)) < qty + resting:
                raise BinanceError(
                    400, -2010, "Account has insufficient balance for requested action."
                )
            bal[base] = bal.get(base, Decimal(0)) - qty
            bal[quote] = bal.get(quote, Decimal(0)) + cost - fee

    def find(self, account: Account, params: dict[str, str]) -> Order:
        market = self.market(params.get("symbol"))
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            raise BinanceError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        for order in self.orders:
            if order.api_key != account.api_key or order.market is not market:
                continue
            if (order_id and str(order.order_id) == order_id) or (
                not order_id and order.client_order_id == client_id
            ):
                return order
        raise BinanceError(400, -2013, "Order does not exist.")

    def cancel(self, account: Account, params: dict[str, str]) -> Order:
        try:
            order = self.find(account, params)
        except BinanceError:
            raise BinanceError(400, -2011, "Unknown order sent.") from None
        if order.status not in ("NEW", "PARTIALLY_FILLED"):
            raise BinanceError(400, -2011, "Unknown order sent.")
        order.status = "CANCELED"
        return order

    def open_orders(self, account: Account, symbol: str | None) -> list[Order]:
        market = self.market(symbol) if symbol else None
        return [
            o
            for o in self.orders
            if o.api_key == account.api_key
            and o.status in ("NEW", "PARTIALLY_FILLED")
            and (market is None or o.market is market)
        ]

    def all_orders(self, account: Account, params: dict[str, str]) -> list[Order]:
        market = self.market(params.get("symbol"))
        start = int(params.get("startTime") or 0)
        end = int(params.get("endTime") or 2**62)
        limit = int(params.get("limit") or 500)
        found = [
            o
            for o in self.orders
            if o.api_key == account.api_key and o.market is market and start <= o.time <= end
        ]
        return found[:limit]

    def my_trades(self, account: Account, params: dict[str, str]) -> list[dict[str, Any]]:
        market = self.market(params.get("symbol"))
        order_id = params.get("orderId")
        out = []
        for order in self.orders:
            if order.api_key != account.api_key or order.market is not market:
                continue
            if order_id and str(order.order_id) != order_id:
                continue
            out.extend(
                {
                    "symbol": market.symbol,
                    "id": t.id,
                    "orderId": order.order_id,
                    "orderListId": -1,
                    "price": fmt(t.price),
                    "qty": fmt(t.qty),
                    "quoteQty": fmt(t.price * t.qty),
                    "commission": fmt(t.commission),
                    "commissionAsset": t.commission_asset,
                    "time": t.time,
                    "isBuyer": order.side == "BUY",
                    "isMaker": False,
                    "isBestMatch": True,
                }
                for t in order.trades
            )
        return out


_DEFAULT_BALANCES = {"USDT": "1000000", "BTC": "10", "ETH": "100"}


def _decimal(params: dict[str, str], name: str) -> Decimal:
    raw = params.get(name)
    if raw is None or raw == "":
        raise BinanceError(
            400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        )
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise BinanceError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ) from None
    if not value.is_finite() or value <= 0:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.")
    return value


def _check_filters(market: Market, qty: Decimal, price: Decimal | None) -> None:
    if qty < market.min_qty or qty > market.max_qty or (qty - market.min_qty) % market.step != 0:
        raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
    if price is not None and price % market.tick != 0:
        raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
    reference = price if price is not None else market.mid
    if qty * reference < market.min_notional:
        raise BinanceError(400, -1013, "Filter failure: NOTIONAL")
