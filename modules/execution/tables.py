"""Execution tables, all in the `execution` Postgres schema.

Two groups live here. `credentials`, `orders` and `fills` are execution's own records. The
`sim_*` tables are the *simulated exchanges'* own books: the sim venue writes them on its own
connection, outside execution's transactions, because a real exchange's state does not roll back
when our transaction does (that difference is what exactly-once placement has to survive).
"""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from modules.kernel.db import ENGINE
from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("execution")


class Credential(Table, tablename="credentials", schema="execution", db=ENGINE):
    """Execution's sealed copy of a vault credential; a revoked one keeps only a tombstone."""

    credential_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    venue = Varchar(length=32)
    version = Integer(default=1)
    key_hint = Varchar(length=16, default="")
    ciphertext = Text(null=True, default=None)
    wrapped_data_key = Text(null=True, default=None)
    stored_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # "simulated" orders go to the sim venue; "sandbox"/"live" ones to the real exchange (ccxt).
    environment = Varchar(length=16, default="simulated")


class Order(Table, tablename="orders", schema="execution", db=ENGINE):
    order_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    client_order_id = Varchar(length=64, unique=True)
    venue = Varchar(length=32)
    credential_id = Varchar(length=64)
    symbol = Varchar(length=32)
    side = Varchar(length=8)
    order_type = Varchar(length=8)
    quantity = Numeric()
    limit_price = Numeric(null=True, default=None)
    status = Varchar(length=20)
    venue_order_id = Varchar(length=64, null=True, default=None)
    filled_quantity = Numeric()
    average_price = Numeric(null=True, default=None)
    fees = Numeric()
    reject_code = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The queue is this table: `queued` rows are waiting; workers claim them SKIP LOCKED.
    priority = Integer(default=4, index=True)
    signal = Varchar(length=16, default="manual")
    # Who placed it (routing's `OrderRouted.source`); NULL for orders queued before it was kept.
    source = Varchar(length=16, null=True, default=None)
    queued_at = Timestamptz(null=True, default=None)
    dispatched_at = Timestamptz(null=True, default=None)
    claimed_by = Varchar(length=64, null=True, default=None)
    # Set when a cancel is asked for an order already on its way to (or at) the venue.
    cancel_requested_at = Timestamptz(null=True, default=None)


class QueueTurn(Table, tablename="queue_turns", schema="execution", db=ENGINE):
    """When a user was last served on a venue: the least recently served user goes next."""

    turn_id = Varchar(length=128, primary_key=True)
    venue = Varchar(length=32)
    user_id = Varchar(length=64)
    served_at = Timestamptz()


class UserControl(Table, tablename="user_controls", schema="execution", db=ENGINE):
    """Whether execution places orders for a user, and its run of consecutive venue errors."""

    user_id = Varchar(length=64, primary_key=True)
    paused = Boolean(default=False)
    reason = Text(default="")
    consecutive_errors = Integer(default=0)
    updated_at = Timestamptz()


class KillSwitch(Table, tablename="kill_switches", schema="execution", db=ENGINE):
    """The kill switches engaged now, as routing announced them: `*` for everyone, or a user id.

    Claiming an order checks them, so an order a halt could not reach (claimed at that moment,
    or still on its way from routing) is refused rather than placed."""

    subject = Varchar(length=64, primary_key=True)
    engaged_at = Timestamptz()


class Position(Table, tablename="positions", schema="execution", db=ENGINE):
    """A user's net position in one symbol on one venue; quantity < 0 is short.

    `realised_pnl` is net of every fee paid on the position (quote currency); `fees` shows the
    fees on their own; `version` counts the fills folded in.
    """

    position_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    quantity = Numeric()
    average_entry = Numeric()
    realised_pnl = Numeric()
    fees = Numeric()
    version = BigInt(default=0)
    updated_at = Timestamptz()


class UnknownFill(Table, tablename="unknown_fills", schema="execution", db=ENGINE):
    """An order seen at a venue on a user's account that the platform never sent."""

    venue_order_id = Varchar(length=64, primary_key=True)
    venue = Varchar(length=32)
    user_id = Varchar(length=64)
    client_order_id = Varchar(length=64)
    detected_at = Timestamptz()


class Fill(Table, tablename="fills", schema="execution", db=ENGINE):
    fill_id = Varchar(length=64, primary_key=True)
    order_id = Varchar(length=64, index=True)
    venue = Varchar(length=32)
    price = Numeric()
    quantity = Numeric()
    fee = Numeric()
    fee_currency = Varchar(length=16)
    liquidity = Varchar(length=8)
    filled_at = Timestamptz()


class SimOrder(Table, tablename="sim_orders", schema="execution", db=ENGINE):
    """An order as the simulated exchange knows it. Client order ids are unique per venue."""

    venue_order_id = Varchar(length=64, primary_key=True)
    venue = Varchar(length=32)
    client_order_id = Varchar(length=64)
    symbol = Varchar(length=32)
    side = Varchar(length=8)
    order_type = Varchar(length=8)
    quantity = Numeric()
    limit_price = Numeric(null=True, default=None)
    status = Varchar(length=20)
    created_at = Timestamptz()
    # Fingerprint of the API key that placed it: the exchange account.
    account = Varchar(length=64, default="", index=True)
    one_per_client_id = Unique(["venue", "client_order_id"])


class SimTrade(Table, tablename="sim_trades", schema="execution", db=ENGINE):
    """An execution at the simulated exchange; recent ones deplete its book until it refills."""

    trade_id = Varchar(length=64, primary_key=True)
    venue_order_id = Varchar(length=64, index=True)
    seq = Integer()
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    side = Varchar(length=8)
    price = Numeric()
    quantity = Numeric()
    fee = Numeric()
    fee_currency = Varchar(length=16)
    liquidity = Varchar(length=8)
    created_at = Timestamptz(index=True)


class SimConsumption(Table, tablename="sim_consumption", schema="execution", db=ENGINE):
    """What a simulated market's trades of one side took in one second: their quantity and
    their quantity times their time (epoch seconds), so a book sums a window's seconds instead
    of its trades. Kept by a trigger on `sim_trades` (migration 2026-12-05T06:10)."""

    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    side = Varchar(length=8)
    second = BigInt()
    quantity = Numeric()
    weighted = Numeric()
    one_per_second = Unique(["venue", "symbol", "side", "second"])


class SimBalance(Table, tablename="sim_balances", schema="execution", db=ENGINE):
    """A simulated exchange account's balance of one asset (its paper wallet)."""

    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    account = Varchar(length=64)  # fingerprint of the API key, as on `sim_orders`
    asset = Varchar(length=16)
    amount = Numeric()
    one_per_asset = Unique(["venue", "account", "asset"])


APP_CONFIG = app_config(
    "execution",
    [
        Outbox,
        Inbox,
        Credential,
        Order,
        Fill,
        SimOrder,
        SimTrade,
        SimConsumption,
        SimBalance,
        QueueTurn,
        UserControl,
        KillSwitch,
        Position,
        UnknownFill,
    ],
)
