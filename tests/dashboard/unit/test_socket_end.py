"""When an open socket ends, and what its client is told."""

from __future__ import annotations

from modules.dashboard.domain.socket_end import TOKEN_EXPIRED, SocketEnd, socket_end
from modules.kernel.refusal import Kind, Refused
from modules.kernel.revocation import UserRevocation

NOW = 1_800_000_000.0


def test_a_valid_unrevoked_token_keeps_its_socket() -> None:
    assert socket_end(None, NOW + 0.001, NOW) is None


def test_an_expired_token_ends_its_socket_with_4401() -> None:
    assert socket_end(None, NOW, NOW) == TOKEN_EXPIRED == (4401, "token_expired", "token expired")


def test_a_revocation_is_told_as_the_http_status_plus_4000() -> None:
    issued = int(NOW * 1000)
    revoked = UserRevocation(before=issued).refusal(issued, "s-1")
    suspended = UserRevocation(before=issued, suspended=True).refusal(issued, "s-1")
    session = UserRevocation(sessions={"s-1": issued}).refusal(issued + 5, "s-1")
    assert socket_end(revoked, NOW + 60, NOW) == SocketEnd(4401, "token_revoked", "token revoked")
    assert socket_end(session, NOW + 60, NOW) == SocketEnd(4401, "token_revoked", "token revoked")
    # Suspended and expired at once: the suspension says more.
    assert socket_end(suspended, NOW, NOW) == SocketEnd(4403, "user_suspended", "user suspended")


def test_another_sessions_revocation_leaves_the_socket_open() -> None:
    issued = int(NOW * 1000)
    other = UserRevocation(sessions={"s-2": issued + 5}).refusal(issued, "s-1")
    assert other is None and socket_end(other, NOW + 60, NOW) is None


def test_the_reason_never_carries_the_refusals_words() -> None:
    refusal = Refused(Kind.UNAUTHENTICATED, "token_revoked", "eyJhbGciOi.secret.sig")
    end = socket_end(refusal, NOW + 60, NOW)
    assert end is not None and "eyJ" not in end.reason and "secret" not in end.reason
