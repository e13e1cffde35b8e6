"""The client address behind proxies: the header is believed only from trusted hops."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from leadloop.api.client_ip import client_ip, networks
from leadloop.config import Settings

LOCAL = networks(("127.0.0.1/32", "::1/128"))
INNER = networks(("127.0.0.1/32", "10.0.0.0/8"))


def test_the_peer_is_the_client_without_a_trusted_proxy() -> None:
    assert client_ip("203.0.113.5", "192.0.2.1", LOCAL) == "203.0.113.5"
    assert client_ip("203.0.113.5", None, LOCAL) == "203.0.113.5"
    assert client_ip(None, "192.0.2.1", LOCAL) is None


def test_a_local_proxy_names_the_client() -> None:
    assert client_ip("127.0.0.1", "192.0.2.1", LOCAL) == "192.0.2.1"
    assert client_ip("::1", " 2001:db8::7 ", LOCAL) == "2001:db8::7"


def test_spoofed_hops_left_of_the_first_untrusted_one_are_ignored() -> None:
    # The client itself sent "6.6.6.6"; its real address was appended by the first proxy.
    assert client_ip("127.0.0.1", "6.6.6.6, 192.0.2.9, 10.1.2.3", INNER) == "192.0.2.9"


def test_all_trusted_hops_give_the_leftmost_and_junk_is_not_trusted() -> None:
    assert client_ip("127.0.0.1", "10.0.0.2, 10.0.0.1", INNER) == "10.0.0.2"
    assert client_ip("127.0.0.1", "not-an-ip", INNER) == "not-an-ip"
    assert client_ip("127.0.0.1", " , ", INNER) == "127.0.0.1"


_ipv4 = st.ip_addresses(v=4).map(str)


@given(peer=_ipv4, hops=st.lists(_ipv4, max_size=5))
def test_an_untrusted_peer_is_never_overruled(peer: str, hops: list[str]) -> None:
    untrusted_peer = peer if not ipaddress.ip_address(peer).is_loopback else "192.0.2.1"
    assert client_ip(untrusted_peer, ", ".join(hops), LOCAL) == untrusted_peer


@given(hops=st.lists(_ipv4, min_size=1, max_size=5))
def test_the_answer_is_one_of_the_hops_and_untrusted_when_any_is(hops: list[str]) -> None:
    got = client_ip("127.0.0.1", ", ".join(hops), INNER)
    assert got in hops
    if any(not any(ipaddress.ip_address(h) in n for n in INNER) for h in hops):
        assert not any(ipaddress.ip_address(got) in n for n in INNER)


def test_a_bad_network_in_the_settings_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(trusted_proxies=["10.0.0.0/33"])
