"""Market regimes of the simulated price model: trends, ranges and volatility bursts.

Market time is cut into segments of `REGIME_SECONDS`; each segment's regime is drawn from a hash
of (seed, symbol, segment), so every process agrees on it without talking to the others. A
regime adds a drift (the trend) and scales the short-term noise and the traded volume.

The trend is continuous: the log-price offset moves linearly inside a segment from one anchor
to the next, and an anchor is the decayed sum of the drifts of the previous `_MEMORY` segments.
The decay pulls the offset back towards zero (an up-trend after many up-trends is flatter), so
prices stay near their base however long the market runs, and evaluating any instant costs a
bounded, cached amount of work.
"""

from __future__ import annotations

import functools
import hashlib
import math
from typing import Literal

Regime = Literal["up", "down", "range", "burst"]

REGIME_SECONDS = 3600.0
# (regime, probability) in draw order.
_WEIGHTS: tuple[tuple[Regime, float], ...] = (
    ("up", 0.25),
    ("down", 0.25),
    ("range", 0.3),
    ("burst", 0.2),
)
# Log-price added over one segment: 2 %, well above the noise of the hour-scale octaves.
_DRIFT: dict[Regime, float] = {"up": 0.02, "down": -0.02, "range": 0.0, "burst": 0.0}
# Scale of the short octaves (periods up to ten minutes) and of the traded volume.
NOISE_SCALE: dict[Regime, float] = {"up": 1.0, "down": 1.0, "range": 0.5, "burst": 3.0}
VOLUME_SCALE: dict[Regime, float] = {"up": 1.5, "down": 1.5, "range": 0.7, "burst": 4.0}
_DECAY = 0.8
_MEMORY = 24
# The noise scale moves from one regime's to the next over this much of a segment, so the
# price does not jump at a boundary.
_BLEND = 0.05


# Cached: neighbouring samples share most of their noise knots, and hashing is the model's cost.
@functools.lru_cache(maxsize=1 << 17)
def unit(*parts: object) -> float:
    """A uniform number in [-1, 1] determined by `parts`."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def segment_of(t: float) -> int:
    return math.floor(t / REGIME_SECONDS)


@functools.lru_cache(maxsize=65536)
def regime(seed: int, symbol: str, segment: int) -> Regime:
    """The regime of one segment of `symbol`'s market."""
    draw = (unit(seed, symbol, "regime", segment) + 1.0) / 2.0
    for name, weight in _WEIGHTS:
        if draw < weight:
            return name
        draw -= weight
    return _WEIGHTS[-1][0]


def regime_at(seed: int, symbol: str, t: float) -> Regime:
    return regime(seed, symbol, segment_of(t))


@functools.lru_cache(maxsize=65536)
def _anchor(seed: int, symbol: str, segment: int) -> float:
    return sum(
        _DRIFT[regime(seed, symbol, segment - 1 - back)] * _DECAY**back for back in range(_MEMORY)
    )


def trend_offset(seed: int, symbol: str, t: float) -> float:
    """The regimes' log-price offset at `t`: linear inside a segment, continuous across them."""
    position = t / REGIME_SECONDS
    segment = math.floor(position)
    start = _anchor(seed, symbol, segment)
    end = _anchor(seed, symbol, segment + 1)
    return start + (end - start) * (position - segment)


def noise_scale(seed: int, symbol: str, t: float) -> float:
    """How much the short-term noise is amplified at `t` (blended in at a segment's start)."""
    position = t / REGIME_SECONDS
    segment = math.floor(position)
    scale = NOISE_SCALE[regime(seed, symbol, segment)]
    into = position - segment
    if into >= _BLEND:
        return scale
    before = NOISE_SCALE[regime(seed, symbol, segment - 1)]
    return before + (scale - before) * into / _BLEND


def next_segment(seed: int, symbol: str, t: float, wanted: Regime) -> float:
    """The start of the first segment, from the one `t` falls in, whose regime is `wanted`.

    For tests and demos that need the market to move one way, whatever the time now.
    """
    segment = segment_of(t)
    while regime(seed, symbol, segment) != wanted:
        segment += 1
    return segment * REGIME_SECONDS
