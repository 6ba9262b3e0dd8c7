"""The dashboard's settings: the limits of the live stream `WS /v1/ws`.

Plain module constants, read where they are used at each connection, so a test can shorten one.
"""

from __future__ import annotations

# How long a new WebSocket may stay silent before it must have authenticated.
WS_AUTH_TIMEOUT_SECONDS = 5.0
# Largest client message; anything longer is answered with `message_too_large`.
MAX_MESSAGE_BYTES = 16 * 1024
# Open sockets one user may hold (on this replica); the next is closed with 1008.
MAX_CONNECTIONS_PER_USER = 20
# Frames waiting for one socket before its client counts as too slow and is closed (1013).
MAX_QUEUED_MESSAGES = 512
# How often each replica checks its open sockets' tokens against expiry and revocations. A
# revocation made elsewhere is seen within the revocation cache's refresh (1 s) plus this.
WS_SESSION_CHECK_SECONDS = 0.5
# Revocation reads one such check may have in flight (users whose cache entry went stale).
WS_REVOCATION_READS = 16

# The screens' price charts: bars of each timeframe kept this many days (a chart over an older
# window draws the coarser bars still kept; hourly bars are kept for good), and how often the
# older ones are deleted.
BAR_KEEP_DAYS = {"1m": 2, "5m": 8, "15m": 32}
BAR_PRUNE_SECONDS = 3600.0
