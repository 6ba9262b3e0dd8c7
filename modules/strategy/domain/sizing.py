"""How much a bot puts into an entry: a share of equity by trend strength (ADX), scaled by how
many entry conditions held, capped by the bot's risk level and its maximum position."""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, Decimal

QUANTITY_STEP = Decimal("0.00000001")
# Upper ADX bound (exclusive) of each band and the share of equity (%) it earns.
ADX_BANDS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal(25), Decimal(2)),
    (Decimal(30), Decimal(4)),
    (Decimal(40), Decimal(6)),
    (Decimal(50), Decimal(8)),
)
TOP_SHARE = Decimal(10)
SCORE_FACTOR: dict[int, Decimal] = {3: Decimal("0.8"), 4: Decimal("0.9"), 5: Decimal("1.0")}
# The most of equity one entry may take at each risk level (the ADX bands reach 10 %).
RISK_LEVEL_CAP: dict[str, Decimal] = {"low": Decimal(4), "medium": Decimal(6), "high": TOP_SHARE}


@functools.lru_cache(maxsize=256)  # a bar's bots share its ADX: one lookup for them all
def share_of_equity(adx: Decimal) -> Decimal:
    """Percent of equity for a trend of this strength; 0 when there is no trend (ADX <= 20)."""
    if adx <= 20:
        return Decimal(0)
    for bound, share in ADX_BANDS:
        if adx < bound:
            return share
    return TOP_SHARE


def entry_notional(
    *,
    equity: Decimal,
    adx: Decimal,
    score: int,
    risk_level: str,
    max_position: Decimal,
) -> Decimal:
    """Quote-currency amount of an entry with this ADX and score (3 to 5 of 5)."""
    factor = SCORE_FACTOR.get(min(score, 5), Decimal(0))
    share = min(share_of_equity(adx), RISK_LEVEL_CAP[risk_level])
    return min(equity * share / 100 * factor, max_position)


def quantity_for(notional: Decimal, price: Decimal) -> Decimal:
    """Base units `notional` buys at `price`, rounded down to 8 decimals (never over budget)."""
    if price <= 0 or notional <= 0:
        return Decimal(0)
    return (notional / price).quantize(QUANTITY_STEP, rounding=ROUND_DOWN)
