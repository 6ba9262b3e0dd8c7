"""P&L that matches the exchange: a few hundred random fills (seeded) go through the bus, in any
order, and every figure of the overview, the positions and the statistics is checked to the
cent against an independent computation written here, from the fills alone.

The fills: partial fills of one order, fees in the quote currency and in the base asset, longs
and shorts, adds, partial exits, closes and flips, on two venues and two pairs, over ten days
that span a daylight-saving change in the trader's zone. Execution is played with its own fold
(tests/dashboard/screens.py), so the events are what it publishes; the expected figures below
share no code with either side: average cost, fees valued at the fill's price, positions cut
where the quantity reaches or crosses zero, days cut with zoneinfo.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from modules.execution.contracts import OrderFilled
from modules.identity.contracts import UserProfileChanged
from modules.kernel.events import IntegrationEvent
from tests.conftest import RunningApp
from tests.dashboard.helpers import new_user, publish
from tests.dashboard.screens import (
    Execution,
    balance,
    bar,
    get_json,
    minutes,
    publish_all,
    routed_order,
)

SEED = 20261203
CENT = Decimal("0.005")
MARKETS = (("binance", "BTC/USD"), ("binance", "ETH/USD"), ("kraken", "BTC/USD"))
START_PRICE = {"BTC/USD": Decimal(60000), "ETH/USD": Decimal(3000)}
SIZE = {"BTC/USD": Decimal("0.00001"), "ETH/USD": Decimal("0.0001")}
INITIAL = {"binance": Decimal(20000), "kraken": Decimal(15000)}
LATER = {"binance": Decimal("20100.5"), "kraken": Decimal("14950.25")}


@dataclass
class Fill:
    venue: str
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    at: datetime


@dataclass
class Cycle:
    venue: str
    symbol: str
    side: str
    opened_at: datetime
    quantity: Decimal = Decimal(0)
    peak: Decimal = Decimal(0)
    entry: Decimal = Decimal(0)
    pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    closed_at: datetime | None = None
    exit_price: Decimal | None = None


@dataclass
class Book:
    """The independent computation: average cost per venue and pair, fill by fill."""

    cycles: dict[tuple[str, str], list[Cycle]] = field(default_factory=lambda: defaultdict(list))
    realised: list[tuple[datetime, Decimal, Decimal, Decimal]] = field(default_factory=list)

    def fee_in_usd(self, fill: Fill) -> Decimal:
        return fill.fee if fill.fee_currency == "USD" else fill.fee * fill.price

    def apply(self, fill: Fill) -> None:
        fee = self.fee_in_usd(fill)
        history = self.cycles[(fill.venue, fill.symbol)]
        current = history[-1] if history and history[-1].closed_at is None else None
        move = fill.quantity if fill.side == "buy" else -fill.quantity
        gained = -fee
        if current is None or (current.quantity > 0) == (move > 0):
            if current is None:
                current = Cycle(fill.venue, fill.symbol, "long" if move > 0 else "short", fill.at)
                history.append(current)
            held = abs(current.quantity)
            current.entry = (held * current.entry + fill.quantity * fill.price) / (
                held + fill.quantity
            )
            current.quantity += move
            current.peak = max(current.peak, abs(current.quantity))
            current.pnl -= fee
            current.fees += fee
        else:
            closed = min(abs(current.quantity), fill.quantity)
            direction = 1 if current.quantity > 0 else -1
            gained += closed * (fill.price - current.entry) * direction
            current.pnl += gained
            current.fees += fee
            current.quantity += move
            if current.quantity == 0 or (current.quantity > 0) != (direction > 0):
                rest = current.quantity
                current.quantity = Decimal(0)
                current.closed_at, current.exit_price = fill.at, fill.price
                if rest != 0:
                    history.append(
                        Cycle(
                            fill.venue,
                            fill.symbol,
                            "long" if rest > 0 else "short",
                            fill.at,
                            quantity=rest,
                            peak=abs(rest),
                            entry=fill.price,
                        )
                    )
        self.realised.append((fill.at, gained, fee, fill.price * fill.quantity))

    def all_cycles(self) -> list[Cycle]:
        return [c for history in self.cycles.values() for c in history]


def _quantity(rng: random.Random, symbol: str, low: int, high: int) -> Decimal:
    return SIZE[symbol] * rng.randint(low, high)


def _order_size(rng: random.Random, symbol: str, held: Decimal) -> tuple[str | None, Decimal]:
    """Side and size of the next order on a market holding `held` (None: the side is free)."""
    fresh = _quantity(rng, symbol, 100, 5000)
    if held == 0:
        return None, fresh
    against = "sell" if held > 0 else "buy"
    toward = "buy" if held > 0 else "sell"
    roll = rng.random()
    if roll < 0.3:
        return toward, fresh
    if roll < 0.65:
        part = (abs(held) * Decimal(rng.randint(20, 80)) / 100).quantize(SIZE[symbol])
        return against, max(part, SIZE[symbol])
    if roll < 0.9:
        return against, abs(held)
    return against, abs(held) + fresh


def _pieces(rng: random.Random, symbol: str, total: Decimal) -> list[Decimal]:
    """An order's fills: one to three partial fills adding up to it."""
    units = int(total / SIZE[symbol])
    cuts = sorted(rng.sample(range(1, units), min(rng.randint(0, 2), units - 1)))
    bounds = [0, *cuts, units]
    return [SIZE[symbol] * (b - a) for a, b in pairwise(bounds)]


def _history(rng: random.Random, ex: Execution, start: datetime) -> tuple[list[Any], list[Fill]]:
    """Random orders and their fills, oldest first, as events and as plain fills."""
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    price = dict(START_PRICE)
    events: list[Any] = []
    fills: list[Fill] = []
    at = start
    while len(fills) < 320:
        venue, symbol = rng.choice(MARKETS)
        side, size = _order_size(rng, symbol, held[(venue, symbol)])
        side = side or rng.choice(("buy", "sell"))
        signal = rng.choice(("manual", "stop_loss", "profit_take", "exit", "entry"))
        order = routed_order(
            ex.user_id,
            venue=venue,
            symbol=symbol,
            side=side,
            signal=signal,
            quantity=str(size),
            at=at,
        )
        events.append(order)
        for piece in _pieces(rng, symbol, size):
            price[symbol] = (price[symbol] * Decimal(1 + rng.uniform(-0.01, 0.01))).quantize(
                Decimal("0.01")
            )
            at += timedelta(seconds=rng.randint(1, 30))
            if rng.random() < 0.5:
                fee, currency = (
                    (price[symbol] * piece * Decimal("0.001")).quantize(Decimal("0.00000001")),
                    "USD",
                )
            else:
                fee, currency = (piece * Decimal("0.001")).quantize(Decimal("1e-12")), symbol[:3]
            fill = Fill(venue, symbol, side, price[symbol], piece, fee, currency, at)
            fills.append(fill)
            events += ex.fill(
                order, price=fill.price, quantity=piece, fee=fee, fee_currency=currency, at=at
            )
            held[(venue, symbol)] += piece if side == "buy" else -piece
        at += timedelta(minutes=rng.randint(5, 85))
    return events, fills


def _close(actual: Any, expected: Decimal, what: str) -> None:
    assert abs(Decimal(actual) - expected) < CENT, f"{what}: {actual} != {expected}"


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def _equity_at(reports: list[tuple[datetime, str, Decimal]], instant: datetime) -> Decimal:
    total = Decimal(0)
    for venue in ("binance", "kraken"):
        mine = sorted((t, e) for t, v, e in reports if v == venue)
        before = [e for t, e in mine if t <= instant]
        total += before[-1] if before else mine[0][1]
    return total


def _days(book: Book, zone: ZoneInfo) -> dict[date, dict[str, Decimal]]:
    days: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for at, gained, fee, volume in book.realised:
        day = days[at.astimezone(zone).date()]
        day["trades"] += 1
        day["pnl"] += gained
        day["fees"] += fee
        day["volume"] += volume
    for cycle in book.all_cycles():
        if cycle.closed_at is not None:
            day = days[cycle.closed_at.astimezone(zone).date()]
            day["closed"] += 1
            day["wins"] += cycle.pnl > 0
            day["losses"] += cycle.pnl < 0
    return days


async def test_every_figure_matches_an_independent_computation_of_the_fills(
    running: RunningApp, now: datetime
) -> None:
    rng = random.Random(SEED)
    user, token = new_user(running)
    bystander, other_token = new_user(running)
    ex = Execution(user)
    start = now - timedelta(days=10)
    events, fills = _history(rng, ex, start)
    book = Book()
    for fill in fills:
        book.apply(fill)
    # What the history must hold for the test to mean what it says.
    cycles = book.all_cycles()
    closes = {c.closed_at for c in cycles}
    assert fills[-1].at < now and len(fills) >= 320
    assert sum(f.fee_currency != "USD" for f in fills) > 100
    per_order = Counter(e.order_id for e in events if isinstance(e, OrderFilled))
    assert sum(n > 1 for n in per_order.values()) > 20  # orders filled in parts
    assert sum(c.side == "short" for c in cycles) > 10
    assert sum(c.opened_at in closes for c in cycles) > 3  # flips
    assert sum(c.closed_at is None for c in cycles) >= 1
    reports = [(start - minutes(60), v, e) for v, e in INITIAL.items()]
    reports += [(start + timedelta(days=5), v, e) for v, e in LATER.items()]
    marks = {
        symbol: (p * Decimal("1.003")).quantize(Decimal("0.01"))
        for symbol, p in START_PRICE.items()
    }
    extra: list[IntegrationEvent] = [balance(user, v, str(e), t) for t, v, e in reports]
    extra += [bar(v, s, now - minutes(2), str(marks[s])) for v, s in MARKETS]
    # Someone else trading the same markets at the same time must change nothing here.
    stranger = Execution(bystander)
    noise = routed_order(bystander, quantity="3")
    extra += [noise, *stranger.fill(noise, price="61000", fee="5", at=start + minutes(30))]
    profile = UserProfileChanged(
        user_id=user, display_name="", timezone="America/New_York", locale="en", occurred_at=start
    )
    await publish(running, profile)
    shuffled = events + extra
    rng.shuffle(shuffled)
    await publish_all(running, shuffled)

    zone = ZoneInfo("America/New_York")
    await _check_positions(running, token, book, marks)
    await _check_days(running, token, book, zone, now)
    await _check_overview(running, token, book, zone, now, reports, marks, fills)
    # The trader moves: every day is cut again, in the new zone.
    await publish(
        running,
        UserProfileChanged(
            user_id=user, display_name="", timezone="Asia/Kolkata", locale="en", occurred_at=now
        ),
    )
    kolkata = ZoneInfo("Asia/Kolkata")
    await _check_days(running, token, book, kolkata, now)
    await _check_overview(running, token, book, kolkata, now, reports, marks, fills)
    assert (await get_json(running, other_token, "/v1/dashboard/overview"))["pnl"]["all"][
        "trades"
    ] == 1


async def _check_positions(
    running: RunningApp, token: str, book: Book, marks: dict[str, Decimal]
) -> None:
    shown, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = await get_json(running, token, "/v1/dashboard/positions", **params)
        shown += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = sorted(book.all_cycles(), key=lambda c: c.opened_at, reverse=True)
    assert len(shown) == len(expected) and len(expected) > 40
    value = unrealised_total = Decimal(0)
    for item, cycle in zip(shown, expected, strict=True):
        what = f"{cycle.venue} {cycle.symbol} opened {cycle.opened_at}"
        assert (item["venue"], item["symbol"], item["side"]) == (
            cycle.venue,
            cycle.symbol,
            cycle.side,
        ), what
        assert item["status"] == ("open" if cycle.closed_at is None else "closed"), what
        _close(item["realised_pnl"], cycle.pnl, f"{what} realised")
        _close(item["fees"], cycle.fees, f"{what} fees")
        _close(item["entry_price"], cycle.entry, f"{what} entry")
        if cycle.closed_at is None:
            unrealised = (marks[cycle.symbol] - cycle.entry) * cycle.quantity
            _close(item["unrealised_pnl"], unrealised, f"{what} unrealised")
            _close(item["pnl"], cycle.pnl + unrealised, f"{what} pnl")
            assert Decimal(item["size"]) == abs(cycle.quantity), what
            value += abs(cycle.quantity) * marks[cycle.symbol]
            unrealised_total += unrealised
        else:
            assert Decimal(item["size"]) == cycle.peak, what
            assert Decimal(item["current_price"]) == cycle.exit_price, what
            assert item["closed_at"] == cycle.closed_at.isoformat().replace("+00:00", "Z")
    summary = page["summary"]
    assert summary["open"] == sum(c.closed_at is None for c in expected)
    assert summary["closed"] == sum(c.closed_at is not None for c in expected)
    _close(summary["value"], value, "open value")
    _close(summary["unrealised"], unrealised_total, "unrealised")


async def _check_days(
    running: RunningApp, token: str, book: Book, zone: ZoneInfo, now: datetime
) -> None:
    days = _days(book, zone)
    first, last = min(days), now.astimezone(zone).date()
    body = await get_json(
        running,
        token,
        "/v1/dashboard/statistics/daily",
        **{"from": first.isoformat(), "to": last.isoformat()},
    )
    assert body["timezone"] == zone.key
    assert [d["date"] for d in body["days"]] == [
        (first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)
    ]
    for shown in body["days"]:
        want = days.get(date.fromisoformat(shown["date"]), defaultdict(Decimal))
        for name in ("trades", "closed", "wins", "losses"):
            assert shown[name] == want[name], (shown["date"], name)
        for name in ("pnl", "fees", "volume"):
            _close(shown[name], want[name], f"{shown['date']} {name}")


async def _check_overview(
    running: RunningApp,
    token: str,
    book: Book,
    zone: ZoneInfo,
    now: datetime,
    reports: list[tuple[datetime, str, Decimal]],
    marks: dict[str, Decimal],
    fills: list[Fill],
) -> None:
    body = await get_json(running, token, "/v1/dashboard/overview")
    days = _days(book, zone)
    today = now.astimezone(zone).date()
    assert Decimal(body["equity_usd"]) == sum(LATER.values())
    for key, length in (("today", 1), ("7d", 7), ("30d", 30), ("all", None)):
        first = min(days) if length is None else today - timedelta(days=length - 1)
        chosen = [d for day, d in days.items() if day >= first]
        pnl = sum((d["pnl"] for d in chosen), Decimal(0))
        shown = body["pnl"][key]
        _close(shown["pnl"], pnl, f"{key} pnl")
        _close(shown["fees"], sum((d["fees"] for d in chosen), Decimal(0)), f"{key} fees")
        assert shown["trades"] == sum(d["trades"] for d in chosen), key
        closed = sum(d["closed"] for d in chosen)
        assert shown["closed"] == closed, key
        wins = sum(d["wins"] for d in chosen)
        assert shown["win_rate"] == (
            None if not closed else str(_pct(Decimal(wins), Decimal(closed)))
        )
        begins = (
            min(t for t, _, _ in reports)
            if length is None
            else datetime(first.year, first.month, first.day, tzinfo=zone)
        )
        equity = _equity_at(reports, begins)
        assert shown["pnl_pct"] == str(_pct(Decimal(shown["pnl"]), equity)), key
        _close(Decimal(shown["pnl_pct"]), _pct(pnl, equity), f"{key} pnl %")
    held = [c for c in book.all_cycles() if c.closed_at is None]
    assert len(body["open_positions"]) == len(held)
    unrealised = sum(((marks[c.symbol] - c.entry) * c.quantity for c in held), Decimal(0))
    _close(body["unrealised_pnl"], unrealised, "overview unrealised")
    last = fills[-1]
    trade = body["last_trade"]
    assert (trade["venue"], trade["symbol"], Decimal(trade["price"])) == (
        last.venue,
        last.symbol,
        last.price,
    )
