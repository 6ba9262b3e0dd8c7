"""When an open live-stream socket must end, and what its client is told.

A socket outlives the check made when it authenticated: its token expires, or its session is
revoked, its user signed out everywhere or suspended, or the password changed. Whether a token is
revoked is the kernel's rule (`UserRevocation.refusal`); this one turns that answer, or an expiry,
into the `error` frame and the close the client gets. The close code is the HTTP status a request
with the same token would get, plus 4000 (4401: sign in again; 4403: suspended), so a client treats
the socket and its HTTP calls alike. Nothing of the token goes into the frame or the reason.
"""

from __future__ import annotations

from typing import NamedTuple

from modules.kernel.refusal import Refused

_CLOSE_CODE_BASE = 4000


class SocketEnd(NamedTuple):
    code: int
    error: str
    reason: str


TOKEN_EXPIRED = SocketEnd(_CLOSE_CODE_BASE + 401, "token_expired", "token expired")
# A renewal with a token that is bad, revoked or another user's.
UNAUTHORIZED = SocketEnd(_CLOSE_CODE_BASE + 401, "unauthorized", "unauthorized")


def socket_end(refusal: Refused | None, expires_at: float, now: float) -> SocketEnd | None:
    """How a socket whose token expires at `expires_at` (epoch seconds) ends at `now`, given
    why its token would be refused now, or None while it may stay open.

    A revocation is named before an expiry: "suspended" tells the client more than "expired".
    """
    if refusal is not None:
        return SocketEnd(
            _CLOSE_CODE_BASE + refusal.kind.value, refusal.code, refusal.code.replace("_", " ")
        )
    if now >= expires_at:
        return TOKEN_EXPIRED
    return None
