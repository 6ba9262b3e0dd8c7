"""A batch of new orders on one simulated market, matched one after the other."""

from __future__ import annotations

from decimal import Decimal as D

from modules.execution.domain.sim_engine import Incoming, Market, Matched, match_batch
from modules.execution.domain.venue import Level, OrderRequest, VenueRejected
from modules.execution.domain.wallet import OpenOrder

TAKER = D("0.001")


def market(**balances: dict[str, D]) -> Market:
    return Market(
        bids=(Level(D("99"), D("1")), Level(D("98"), D("2"))),
        asks=(Level(D("101"), D("1")), Level(D("102"), D("2")), Level(D("103"), D("5"))),
        consumed={"buy": D(0), "sell": D(0)},
        balances=dict(balances),
        resting={},
        taker_rate=TAKER,
        maker_rate=D("0.0005"),
    )


def order(account: str, side: str = "buy", quantity: str = "1", **fields: object) -> Incoming:
    request = OrderRequest(
        client_order_id=f"{account}-{side}-{quantity}-{fields}",
        symbol="BTC/USD",
        side=side,  # type: ignore[arg-type]
        order_type=fields.pop("order_type", "market"),  # type: ignore[arg-type]
        quantity=D(quantity),
        limit_price=fields.pop("limit_price", None),  # type: ignore[arg-type]
    )
    return Incoming(request=request, account=account)


def matched(outcome: Matched | VenueRejected) -> Matched:
    assert isinstance(outcome, Matched), outcome
    return outcome


def test_each_order_takes_the_book_the_orders_before_it_left() -> None:
    book = market(a={"USD": D(1000)}, b={"USD": D(1000)})
    first, second = (matched(o) for o in match_batch(book, [order("a"), order("b")]))
    # The first buy takes the whole best ask; the second starts one level deeper.
    assert [(t.price, t.quantity) for t in first.trades] == [(D("101"), D("1"))]
    assert [(t.price, t.quantity) for t in second.trades] == [(D("102"), D("1"))]
    assert book.consumed == {"buy": D(2), "sell": D(0)}
    # Selling does not touch the asks the buys took.
    [sell] = match_batch(book, [order("a", "sell", "0.5")])
    assert [(t.price, t.quantity) for t in matched(sell).trades] == [(D("99"), D("0.5"))]


def test_a_refused_order_changes_nothing_for_the_orders_after_it() -> None:
    book = market(rich={"USD": D(1000)}, poor={"USD": D(50)})
    outcomes = match_batch(book, [order("poor"), order("rich")])
    assert isinstance(outcomes[0], VenueRejected) and outcomes[0].code == "insufficient_funds"
    # The refused buy took nothing from the book: the next one gets the best ask.
    assert [t.price for t in matched(outcomes[1]).trades] == [D("101")]
    assert book.balances["poor"] == {"USD": D(50)}


def test_one_accounts_orders_in_a_batch_spend_one_wallet() -> None:
    # 101 + fee for the first; the second (102 + fee) no longer fits in what is left.
    book = market(a={"USD": D("150")})
    first, second = match_batch(book, [order("a"), order("a")])
    assert matched(first).delta == {"BTC": D(1), "USD": D("-101.101")}
    assert book.balances["a"] == {"USD": D("48.899"), "BTC": D(1)}
    assert isinstance(second, VenueRejected) and second.code == "insufficient_funds"


def test_a_limit_order_left_resting_holds_its_funds_from_the_orders_after_it() -> None:
    book = market(a={"USD": D("200")})
    # Rests whole below the market, holding 1 * 95 * (1 + maker fee) = 95.0475.
    rests = matched(
        match_batch(book, [order("a", quantity="1", order_type="limit", limit_price=D("95"))])[0]
    )
    assert rests.status == "open" and rests.trades == ()
    assert book.resting["a"] == [
        OpenOrder(base="BTC", quote="USD", side="buy", remaining=D(1), limit_price=D("95"))
    ]
    # 104.9525 is free: a market buy at 101 (101.101 with its fee) fits, leaving 3.8515, and
    # 0.05 more at 102 (5.1051) does not.
    first, second = match_batch(book, [order("a"), order("a", quantity="0.05")])
    assert matched(first).status == "filled"
    assert isinstance(second, VenueRejected)
