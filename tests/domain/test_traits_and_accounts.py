"""Passive profiling helpers and accounts derived from e-mail domains and websites."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.domain.accounts import FREE_MAIL_DOMAINS, company_domain, domain_from_website
from leadloop.domain.traits import (
    ALLOWED_PERSON_TRAITS,
    display_name,
    normalise_email,
    plausible_name,
    split_traits,
    subscribed_topics,
)


@given(st.dictionaries(st.text(max_size=10), st.integers()))
def test_split_traits_keeps_only_allowed_and_names_every_other(traits: dict[str, int]) -> None:
    kept, dropped = split_traits(traits)
    assert set(kept) <= ALLOWED_PERSON_TRAITS
    assert set(kept) | set(dropped) == set(traits)
    assert not set(kept) & set(dropped)
    assert list(dropped) == sorted(dropped)
    assert all(kept[k] == traits[k] for k in kept)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Silva@Example.COM ", "ana.silva@example.com"),
        ("ana@acme.example", "ana@acme.example"),
        ("no-at-sign", None),
        ("@acme.example", None),
        ("ana@localhost", None),
        ("ana @acme.example", None),
        ("a@b@acme.example", None),
        ("a\x00@acme.example", None),
        ("a" * 250 + "@acme.example", None),
        (42, None),
        (None, None),
    ],
)
def test_normalise_email(raw: object, expected: str | None) -> None:
    assert normalise_email(raw) == expected


def test_display_name_from_name_or_first_and_last() -> None:
    assert display_name({"name": "  Ana Silva "}) == "Ana Silva"
    assert display_name({"firstName": "Ana", "lastName": "Silva"}) == "Ana Silva"
    assert display_name({"first_name": "Ana"}) == "Ana"
    assert display_name({"firstName": ["Ana"], "lastName": "Silva"}) is None
    assert display_name({"name": "x" * 301}) is None
    assert display_name({}) is None
    assert plausible_name("Acme\x00") is None


@pytest.mark.parametrize(
    ("traits", "topics"),
    [
        ({"subscribe": True, "topic": " SD-WAN "}, ("SD-WAN",)),
        ({"topics": ["5G", "5G", "", 3, "Edge"]}, ("5G", "Edge")),
        ({"subscribe": "no", "topic": "5G"}, ()),
        ({"subscribed": False, "topics": ["5G"]}, ()),
        ({"subscribe": True}, ()),
        ({"subscribe": True, "topic": {"x": 1}}, ()),
    ],
)
def test_subscribed_topics(traits: dict[str, object], topics: tuple[str, ...]) -> None:
    assert subscribed_topics(traits) == topics


@pytest.mark.parametrize("domain", sorted(FREE_MAIL_DOMAINS))
def test_free_mail_says_nothing_about_the_employer(domain: str) -> None:
    assert company_domain(f"someone@{domain}") is None
    assert company_domain(f"someone@{domain.upper()}") is None


def test_company_domain() -> None:
    assert company_domain("ana@Acme.example") == "acme.example"
    assert company_domain("ana@mail.acme.example") == "mail.acme.example"
    assert company_domain("ana@localhost") is None
    assert company_domain(None) is None


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.acme.example/about", "acme.example"),
        ("acme.example", "acme.example"),
        ("HTTP://Acme.Example:8080/x", "acme.example"),
        ("intranet", None),
        ("", None),
        (None, None),
        ("x" * 300 + ".example", None),
    ],
)
def test_domain_from_website(website: object, domain: str | None) -> None:
    assert domain_from_website(website) == domain
