"""The dashboard's settings: the limits of the live stream `WS /v1/ws`, and how phone pushes
are batched, retried and scheduled.

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
# Users whose revocation entries one state read of such a check covers (those gone stale).
WS_REVOCATION_BATCH = 500

# ---- phone pushes (Expo) ---------------------------------------------------------------------
# Bursts collapse: pushes of a collapsing kind (trades, closes) to one device go out as one
# message ("... (+99 more)") once none has come for PUSH_QUIET_SECONDS, or at the latest
# PUSH_COLLAPSE_MAX_SECONDS after the first. A lone fill is pushed after PUSH_QUIET_SECONDS.
PUSH_QUIET_SECONDS = 0.5
PUSH_COLLAPSE_MAX_SECONDS = 3.0
# How often the delivery worker looks for due pushes when nothing woke it.
PUSH_POLL_SECONDS = 1.0
# Pushes (device groups) one delivery round claims, and messages per request to Expo (its cap).
PUSH_BATCH = 500
EXPO_MESSAGES_PER_REQUEST = 100
EXPO_RECEIPTS_PER_REQUEST = 1000
EXPO_TIMEOUT_SECONDS = 10.0
# A failed send (5xx, 429, network) is retried after RETRY_BASE * 2^(attempt-1) seconds, at most
# RETRY_MAX, and given up after PUSH_MAX_ATTEMPTS.
PUSH_RETRY_BASE_SECONDS = 2.0
PUSH_RETRY_MAX_SECONDS = 600.0
PUSH_MAX_ATTEMPTS = 8
# Receipts are asked for this long after a send (Expo has them within minutes, keeps them a day);
# the receipts round runs this often. Sent pushes are deleted after PUSH_RETENTION_DAYS.
PUSH_RECEIPT_DELAY_SECONDS = 60.0
PUSH_RECEIPT_POLL_SECONDS = 30.0
PUSH_RECEIPT_GIVE_UP_SECONDS = 24 * 3600.0
PUSH_RETENTION_DAYS = 7
# Push devices one user may register.
MAX_PUSH_DEVICES_PER_USER = 10
# How often the daily summary worker looks for users whose summary time has come.
DAILY_SUMMARY_POLL_SECONDS = 30.0
# Price alerts: how many one user may have armed, and how often a replica reloads the armed
# alerts (its own creations and deletions apply at once).
MAX_PRICE_ALERTS_PER_USER = 50
PRICE_ALERT_REFRESH_SECONDS = 5.0

# The transit key that seals push tokens (bound to their user); created by nomad/vault/setup.sh.
PUSH_TOKEN_KEY = "nija-push-tokens"

# The screens' price charts: bars of each timeframe kept this many days (a chart over an older
# window draws the coarser bars still kept; hourly bars are kept for good), and how often the
# older ones are deleted.
BAR_KEEP_DAYS = {"1m": 2, "5m": 8, "15m": 32}
BAR_PRUNE_SECONDS = 3600.0

# ---- the order path's shared group commit (service/group_commit.py) ---------------------------
# A balance report alone waits this long for company (an order's events, more reports) before
# its batch is written; an order's events never wait, and take the waiting reports along.
BALANCE_LINGER_SECONDS = 0.25
