"""The bot's settings and standing rules: what a settings change needs, when it may start."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.kernel.refusal import Kind, Refused

# Execution's venue errors an intent can meet before it is an order; a risk refusal says nothing
# about the venue and never counts toward pausing the bot.
VENUE_REFUSALS = frozenset(
    {"market_data_unavailable", "no_eligible_venue", "unknown_symbol", "no_credentials"}
)
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
# Who places orders the bot never placed: a trader (the app, the API) and a halt's close-all.
_NOT_THE_BOTS = frozenset({"trader", "kill_switch"})


def may_be_the_bots(source: str | None) -> bool:
    """Whether an order placed by `source` may carry one of the bot's intents. Reports of any
    other order tell the bot nothing (it learns of a position sold by hand from the position's
    own report). An order from before sources were carried (None) may be the bot's."""
    return source not in _NOT_THE_BOTS


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    mode: str
    strategy: str
    pairs: list[str]
    venue: str
    timeframe: str
    risk_level: str
    max_position_usd: Decimal
    equity_usd: Decimal


def needs_step_up(current: Settings, new: Settings) -> bool:
    """Whether the change lets the bot risk more: going live, a larger position or equity, or a
    higher risk level. Lowering any of them is always allowed at once."""
    return (
        (new.mode == "live" and current.mode != "live")
        or new.max_position_usd > current.max_position_usd
        or new.equity_usd > current.equity_usd
        or _RISK_ORDER[new.risk_level] > _RISK_ORDER[current.risk_level]
    )


def check_may_start(holds: list[str]) -> None:
    """A bot cannot run while a kill switch, a suspension or execution's pause holds."""
    if holds:
        raise Refused(
            Kind.CONFLICT,
            "bot_halted",
            "Trading is halted for you (" + ", ".join(sorted(holds)) + "); the bot cannot start",
        )
