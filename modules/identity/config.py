"""Identity's settings: how long half-done sign-ins live, and the key TOTP seeds are sealed with.

Plain module constants; the brute-force limits are rules and live in domain/throttle.py, and the
token lifetimes are process settings (`modules.kernel.settings`).
"""

from __future__ import annotations

from datetime import timedelta

# A password sign-in waiting for its TOTP or recovery code.
CHALLENGE_TTL = timedelta(minutes=5)
# Wrong codes a half-done sign-in takes before it is spent.
CHALLENGE_MAX_ATTEMPTS = 5
# A nonce a device must sign to sign in or step up.
DEVICE_CHALLENGE_TTL = timedelta(minutes=2)
# The transit keyring key TOTP seeds are sealed with, bound to the user id: the server must read
# a seed back to check codes, so it cannot hash it.
TOTP_KEY = "identity-totp"
