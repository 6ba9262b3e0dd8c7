"""The simulated venues charge what the real ones' base tier does, as ccxt's fee table says."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from modules.execution.adapters.sim_venue.venue import REAL_FEES, SimVenue


@pytest.mark.parametrize("venue", ["coinbase", "kraken", "binance"])
def test_a_simulated_venue_charges_the_real_venues_base_tier(venue: str) -> None:
    trading = getattr(ccxt, venue)().fees["trading"]
    fees = SimVenue.real_fees(venue)
    assert fees.taker == Decimal(str(trading["taker"]))
    assert fees.maker == Decimal(str(trading["maker"]))


def test_every_simulated_venue_has_its_fees() -> None:
    from modules.execution.domain.sim_market import PROFILES

    assert set(REAL_FEES) == set(PROFILES)
