"""`CcxtVenue`: a real exchange behind the `Venue` port, through `ccxt.async_support`.

One ccxt client per call and per user credential: the plaintext key and secret are handed to
the client only while it signs that call, registered with the log redactor for that time, and
the client is closed right after, so no credential outlives the call in memory or reaches a
log. Market metadata is loaded once by a key-less public client and shared with every private
client, so a signed call costs one round trip.

Outcomes are mapped onto the port's three failure kinds (see `domain/venue.py`):
- `VenueRejected`: the exchange refused (bad key, no permission, filters, insufficient funds).
- `VenueFault`: the exchange did not act (429 / 418 rate limits; a 5xx after which the order is
  verifiably absent).
- `VenueUnavailable`: unknown outcome (timeout, dropped connection, "execution status unknown"):
  the caller resolves it by `fetch_order_by_client_id`, never by sending again.

Binance documents a 5xx as "execution status unknown", so a 5xx or dropped connection while
placing is resolved here with one lookup by client order id before it is reported as a fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async

from modules.execution.adapters.ccxt_venue._translate import (
    _OHLCV_PAGE,
    _STATUS,
    _TLS,
    DEFAULT_OPTIONS,
    DEFAULT_SYMBOLS,
    _candle,
    _class_fees,
    _dec,
    _fill,
    _http_session,
    _mapped,
    _reason,
    _time,
)
from modules.execution.domain.bars import Bar, Timeframe, align, seconds
from modules.execution.domain.venue import (
    Book,
    Level,
    OrderRequest,
    OrderType,
    VenueFault,
    VenueFees,
    VenueOrder,
    VenueRejected,
    VenueUnavailable,
)
from modules.kernel.logs import register_secret
from modules.kernel.sealing import CredentialMaterial


class CcxtVenue:
    def __init__(
        self,
        name: str,
        *,
        exchange_id: str | None = None,
        symbols: Mapping[str, str],
        sandbox: bool = False,
        urls_override: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
        timeout_ms: int = 10_000,
        latency_ms: float = 150.0,
    ) -> None:
        """`symbols` maps platform symbols to the exchange's (`{"BTC/USD": "BTC/USDT"}`).

        `urls_override` replaces entries of the ccxt class's `urls["api"]` (e.g. `public` and
        `private` pointed at a loopback simulator) after sandbox mode has been applied.
        """
        self.name = name
        self.exchange_id = exchange_id or name
        self.latency_ms = latency_ms
        self.symbols = frozenset(symbols)
        self._market_ids = dict(symbols)
        self._platform_symbols = {v: k for k, v in symbols.items()}
        self._sandbox = sandbox
        self._urls_override = dict(urls_override or {})
        self._options = {**DEFAULT_OPTIONS.get(self.exchange_id, {}), **(options or {})}
        self._timeout_ms = timeout_ms
        self._klass: type[Any] = getattr(ccxt_async, self.exchange_id)
        self.fees = _class_fees(self.exchange_id)
        self._public: Any = None
        self._session: aiohttp.ClientSession | None = None
        self._markets_lock = asyncio.Lock()

    @classmethod
    def for_environment(
        cls, venue: str, environment: str, *, urls_override: Mapping[str, str] | None = None
    ) -> CcxtVenue:
        """The real-exchange client for a credential's `environment` ("sandbox" or "live")."""
        return cls(
            venue,
            symbols=DEFAULT_SYMBOLS.get(venue, {}),
            sandbox=environment == "sandbox",
            urls_override=urls_override,
        )

    # -- port ---------------------------------------------------------------------------------
    async def book(self, symbol: str) -> Book:
        market = self._market_id(symbol)
        public = await self._public_client()
        try:
            raw = await public.fetch_order_book(market, 20)
        except ccxt.BaseError as error:
            raise _mapped(self.name, error) from None
        return Book(
            venue=self.name,
            symbol=symbol,
            bids=tuple(Level(_dec(p), _dec(s)) for p, s, *_ in raw["bids"]),
            asks=tuple(Level(_dec(p), _dec(s)) for p, s, *_ in raw["asks"]),
            at=_time(raw.get("timestamp")),
        )

    async def place_order(
        self, request: OrderRequest, credential: CredentialMaterial
    ) -> VenueOrder:
        market = self._market_id(request.symbol)
        async with self._private(credential) as client:
            amount = self._checked_amount(client, market, request)
            price = self._checked_price(request)
            params: dict[str, Any] = {"clientOrderId": request.client_order_id}
            if request.order_type == "limit":
                params["timeInForce"] = "GTC"
            try:
                raw = await client.create_order(
                    market, request.order_type, request.side, amount, price, params
                )
            except ccxt.InvalidOrder as error:
                if "Duplicate order sent" not in str(error):
                    raise _mapped(self.name, error) from None
                # Idempotent placement: the venue already has this client order id.
                existing = await self._lookup(client, request.client_order_id, market)
                if existing is None:
                    raise _mapped(self.name, error) from None
                return existing
            except (ccxt.ExchangeNotAvailable, ccxt.BadResponse) as error:
                return await self._resolve_failed_send(client, request, market, error)
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
            return self._order(raw, request, market)

    async def fetch_order_by_client_id(
        self, client_order_id: str, credential: CredentialMaterial
    ) -> VenueOrder | None:
        async with self._private(credential) as client:
            # Binance looks orders up per symbol; we only know the id, so ask each market.
            for market in self._market_ids.values():
                found = await self._lookup(client, client_order_id, market)
                if found is not None:
                    return found
        return None

    async def cancel_order(
        self, client_order_id: str, symbol: str, credential: CredentialMaterial
    ) -> VenueOrder | None:
        market = self._market_id(symbol)
        async with self._private(credential) as client:
            try:
                await client.cancel_order(None, market, {"origClientOrderId": client_order_id})
            except ccxt.OrderNotFound:
                pass  # filled or ended before the cancel arrived: the lookup below says which
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
            # The cancel's answer lacks the fills; the order as it now stands has them.
            return await self._lookup(client, client_order_id, market)

    async def verify_credential(self, credential: CredentialMaterial) -> list[str]:
        """What the key may do: read always (it authenticated), trade and withdraw per account."""
        async with self._private(credential) as client:
            try:
                if hasattr(client, "private_get_account"):
                    account = await client.private_get_account()
                else:
                    account = await client.fetch_balance()
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
        permissions = ["read"]
        if account.get("canTrade", True) is not False:
            permissions.append("trade")
        if account.get("canWithdraw") is True:
            permissions.append("withdraw")
        return permissions

    async def balances(self, credential: CredentialMaterial) -> dict[str, Decimal]:
        """The account's `total` per asset (free and in open orders), as ccxt reports it."""
        async with self._private(credential) as client:
            try:
                raw = await client.fetch_balance()
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
        totals = raw.get("total") or {}
        return {
            str(asset): _dec(amount)
            for asset, amount in sorted(totals.items())
            if amount is not None and _dec(amount) != 0
        }

    async def account_orders(
        self, credential: CredentialMaterial, since: datetime
    ) -> list[VenueOrder]:
        """Orders on the key's account created after `since`, in every mapped market."""
        since_ms = int(since.timestamp() * 1000)
        found: list[VenueOrder] = []
        async with self._private(credential) as client:
            for market in self._market_ids.values():
                try:
                    raws = await client.fetch_orders(market, since_ms)
                except ccxt.BaseError as error:
                    raise _mapped(self.name, error) from None
                for raw in raws:
                    found.append(await self._with_trades(client, raw, market))
        return found

    async def close(self) -> None:
        if self._public is not None:
            await self._public.close()
            self._public = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- clients ------------------------------------------------------------------------------
    def _client(self, credential: CredentialMaterial | None) -> Any:
        config: dict[str, Any] = {
            # Rate limits are enforced by the platform's per-account token buckets; a second
            # limiter per short-lived client would only add latency.
            "enableRateLimit": False,
            "timeout": self._timeout_ms,
            "options": dict(self._options),
        }
        if self._session is not None:
            config["session"] = self._session
        if credential is not None:
            config["apiKey"] = credential.api_key
            config["secret"] = credential.api_secret
            if credential.passphrase:
                config["password"] = credential.passphrase
        client = self._klass(config)
        # ccxt sleeps on close so its own TLS sessions can wind down; ours is shared and stays.
        client.timeout_on_exit = 0
        # Loading the CA bundle costs ~20 ms; every client shares one context.
        client.ssl_context = _TLS
        if self._sandbox:
            client.set_sandbox_mode(True)
        if self._urls_override:
            client.urls["api"] = {**client.urls["api"], **self._urls_override}
        return client

    async def _public_client(self) -> Any:
        async with self._markets_lock:
            if self._public is None:
                self._session = self._session or _http_session()
                public = self._client(None)
                try:
                    await public.load_markets()
                except ccxt.BaseError as error:
                    await public.close()
                    raise _mapped(self.name, error) from None
                self._public = public
                self._adopt_markets(public)
        return self._public

    @contextlib.asynccontextmanager
    async def _private(self, credential: CredentialMaterial) -> AsyncIterator[Any]:
        public = await self._public_client()
        handles = [register_secret(credential.api_secret), register_secret(credential.api_key)]
        client = self._client(credential)
        try:
            client.set_markets_from_exchange(public)
            yield client
        finally:
            await client.close()
            del client, handles

    def _adopt_markets(self, public: Any) -> None:
        """Only what the exchange really lists stays routable; fees from its market info."""
        listed = {k: v for k, v in self._market_ids.items() if v in public.markets}
        self._market_ids = listed
        self.symbols = frozenset(listed)
        for market in listed.values():
            info = public.markets[market]
            if info.get("taker") is not None and info.get("maker") is not None:
                self.fees = VenueFees(taker=_dec(info["taker"]), maker=_dec(info["maker"]))
                return

    # -- helpers ------------------------------------------------------------------------------
    def _market_id(self, symbol: str) -> str:
        market = self._market_ids.get(symbol)
        if market is None:
            raise VenueRejected("unknown_symbol", f"{self.name} does not list {symbol}")
        return market

    def _checked_amount(self, client: Any, market: str, request: OrderRequest) -> float:
        # ccxt silently truncates to the lot step; placing a different size than asked is worse
        # than refusing.
        try:
            rounded = Decimal(client.amount_to_precision(market, float(request.quantity)))
        except ccxt.BaseError as error:
            raise _mapped(self.name, error) from None
        if rounded != request.quantity:
            raise VenueRejected(
                "invalid_quantity", f"{request.quantity} is not a multiple of the lot size"
            )
        return float(request.quantity)

    def _checked_price(self, request: OrderRequest) -> float | None:
        if request.order_type == "market":
            return None
        if request.limit_price is None or request.limit_price <= 0:
            raise VenueRejected("invalid_price", "a limit order needs a positive limit price")
        return float(request.limit_price)

    async def _resolve_failed_send(
        self, client: Any, request: OrderRequest, market: str, error: ccxt.BaseError
    ) -> VenueOrder:
        try:
            existing = await self._lookup(client, request.client_order_id, market)
        except VenueFault:
            raise VenueUnavailable(f"{self.name}: order outcome unknown") from None
        if existing is not None:
            return existing
        raise VenueFault("venue_unavailable", f"{self.name}: {_reason(error)}") from None

    async def _lookup(self, client: Any, client_order_id: str, market: str) -> VenueOrder | None:
        try:
            raw = await client.fetch_order(None, market, {"origClientOrderId": client_order_id})
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as error:
            raise _mapped(self.name, error) from None
        return await self._with_trades(client, raw, market)

    async def _with_trades(self, client: Any, raw: dict[str, Any], market: str) -> VenueOrder:
        if not raw.get("trades") and (raw.get("filled") or 0) > 0:
            try:
                raw = {**raw, "trades": await client.fetch_order_trades(raw["id"], market)}
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
        return self._order(raw, None, market)

    def _order(self, raw: dict[str, Any], request: OrderRequest | None, market: str) -> VenueOrder:
        price = raw.get("price")
        order_type: OrderType = "market" if raw.get("type") == "market" else "limit"
        status = _STATUS.get(raw.get("status") or "", "open")
        return VenueOrder(
            venue=self.name,
            venue_order_id=str(raw["id"]),
            client_order_id=request.client_order_id if request else str(raw["clientOrderId"]),
            symbol=request.symbol if request else self._platform_symbols[market],
            side=request.side if request else raw["side"],
            order_type=request.order_type if request else order_type,
            quantity=request.quantity if request else _dec(raw["amount"]),
            limit_price=(
                request.limit_price
                if request
                else (_dec(price) if order_type == "limit" and price else None)
            ),
            status=status,
            fills=tuple(_fill(t, raw) for t in raw.get("trades") or ()),
        )

    # -- market data (ProvidesHistory) ---------------------------------------------------------
    def market_now(self) -> datetime:
        return datetime.now(UTC)

    async def history(
        self, symbol: str, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        """Closed candles through ccxt's `fetch_ohlcv`, a page of at most 1000 per request."""
        public = await self._public_client()  # first: only what the exchange lists is known
        market = self._market_id(symbol)
        step = seconds(timeframe) * 1000
        since = -(-int(start.timestamp() * 1000) // step) * step
        # The candle under way is not closed: stop before it.
        stop = min(int(end.timestamp() * 1000), align(time.time(), timeframe) * 1000)
        bars: list[Bar] = []
        while since < stop:
            try:
                rows = await public.fetch_ohlcv(
                    market, timeframe, since, _OHLCV_PAGE, {"until": stop - 1}
                )
            except ccxt.BaseError as error:
                raise _mapped(self.name, error) from None
            page = [row for row in rows if since <= row[0] < stop]
            if not page:
                break
            bars.extend(_candle(symbol, timeframe, row) for row in page)
            since = int(page[-1][0]) + step
        return bars
