"""``url_key``: every page view gets a key, odd URLs included (the profile updater folds them)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadloop.domain.content import _rough_url_key, url_key

_label = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-", min_size=1, max_size=12
)
_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~%", min_size=0, max_size=10)


@given(st.text(max_size=60))
def test_any_text_gets_a_key_without_query_or_fragment(text: str) -> None:
    key = url_key(text)
    assert "?" not in key and "#" not in key
    assert not key.endswith("/")


def test_a_broken_ipv6_host_is_keyed_instead_of_raising() -> None:
    assert url_key("http://[bad/guides/x/?utm=1#top") == "[bad/guides/x"
    assert url_key("https://[::1/a") == "[::1/a"


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.lists(_label, min_size=1, max_size=3).map(".".join),
    path=st.lists(_segment, max_size=4).map("/".join),
    query=st.one_of(st.just(""), _segment.map(lambda q: "?" + q)),
    fragment=st.one_of(st.just(""), _segment.map(lambda f: "#" + f)),
    slash=st.booleans(),
)
def test_the_rough_key_equals_the_parsed_key_on_well_formed_urls(
    scheme: str, host: str, path: str, query: str, fragment: str, slash: bool
) -> None:
    url = f"{scheme}://{host}/{path}{'/' if slash else ''}{query}{fragment}"
    assert _rough_url_key(url) == url_key(url)
