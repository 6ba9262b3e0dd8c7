"""Which address a request came from: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from modules.kernel.http import client_address
from modules.kernel.settings import load_settings

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("192.0.2.9", "203.0.113.5", "192.0.2.9"),  # not from a proxy: header ignored
        ("127.0.0.1", "", "127.0.0.1"),  # proxy without a header is the client
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.1.2.3", "203.0.113.5, 10.9.9.9", "203.0.113.5"),  # two of our proxies in a row
        ("10.1.2.3", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the forged left entry loses
        ("10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # only proxies: the farthest
        ("10.1.2.3", "not-an-ip", "10.1.2.3"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, header: str, expected: str
) -> None:
    assert client_address(peer, header, TRUSTED) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", "203.0.113.5", ()) == "127.0.0.1"


def test_a_malformed_trusted_proxy_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="NIJA_TRUSTED_PROXIES"):
        load_settings(environ={"NIJA_TRUSTED_PROXIES": "10.0.0.0/8,nonsense"})
    settings = load_settings(environ={"NIJA_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert len(settings.trusted_proxy_networks) == 2
