"""Identity resolution in the store: merges keep every event, accounts, passive profiling."""

from __future__ import annotations

from typing import Any

import orjson
from store_helpers import Tracker


def msg(kind: str, message_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "messageId": message_id}
    if kind == "track":
        base["event"] = "Video Book Section Viewed"
    return {**base, **fields}


def people(tracker: Tracker, *message_ids: str) -> set[int]:
    return {tracker.person_of(m).id for m in message_ids}


def test_anonymous_history_joins_the_contact_on_identify(tracker: Tracker) -> None:
    tracker.write(
        msg("page", "p1", anonymousId="cookie-1"),
        msg("track", "t1", anonymousId="cookie-1"),
    )
    tracker.write(msg("page", "p2", anonymousId="cookie-1"))
    assert tracker.person_of("p1").status == "anonymous"
    tracker.write(
        msg(
            "identify",
            "i1",
            anonymousId="cookie-1",
            userId="u-ana",
            traits={"email": "Ana@Acme.example", "name": "Ana Silva"},
        )
    )
    tracker.write(msg("track", "t2", userId="u-ana"))
    (person,) = people(tracker, "p1", "t1", "p2", "i1", "t2")
    ana = tracker.contact(person)
    assert (ana.status, ana.email, ana.name) == ("known", "ana@acme.example", "Ana Silva")
    assert [c.id for c in tracker.contacts()] == [person]
    assert len(tracker.events()) == 5


def test_a_second_device_merges_into_the_known_person(tracker: Tracker) -> None:
    tracker.write(msg("identify", "i1", anonymousId="laptop", userId="u-1"))
    tracker.write(
        msg("page", "p-phone-1", anonymousId="phone"), msg("page", "p-phone-2", anonymousId="phone")
    )
    phone_contact = tracker.person_of("p-phone-1").id
    tracker.write(msg("identify", "i2", anonymousId="phone", userId="u-1"))
    (person,) = people(tracker, "i1", "p-phone-1", "p-phone-2", "i2")
    assert person != phone_contact
    assert tracker.contact(phone_contact).merged_into_id == person
    assert [c.id for c in tracker.contacts()] == [person]


def test_alias_merges_a_previous_id_into_the_user(tracker: Tracker) -> None:
    tracker.write(msg("page", "p1", anonymousId="cookie-9"))
    tracker.write(msg("identify", "i1", userId="u-new", traits={"email": "bo@beta.example"}))
    tracker.write(msg("alias", "a1", previousId="cookie-9", userId="u-new"))
    (person,) = people(tracker, "p1", "i1", "a1")
    # alias between two user ids: the old profile folds into the new one
    tracker.write(msg("identify", "i2", userId="u-old", traits={"name": "Bo"}))
    old = tracker.person_of("i2").id
    tracker.write(msg("alias", "a2", previousId="u-old", userId="u-new"))
    assert people(tracker, "p1", "i1", "a1", "i2", "a2") == {person}
    assert tracker.contact(old).merged_into_id == person
    merged = tracker.contact(person)
    assert (merged.email, merged.name) == ("bo@beta.example", "Bo")


def test_alias_of_an_unseen_id_claims_it_for_the_user(tracker: Tracker) -> None:
    tracker.write(msg("alias", "a1", previousId="cookie-later", userId="u-1"))
    tracker.write(msg("page", "p1", anonymousId="cookie-later"))
    assert people(tracker, "a1", "p1") == {tracker.person_of("a1").id}


def test_a_contact_arriving_with_a_known_email_merges_into_the_existing_one(
    tracker: Tracker,
) -> None:
    tracker.write(msg("identify", "i1", userId="crm-7", traits={"email": "cara@acme.example"}))
    existing = tracker.person_of("i1").id
    tracker.write(msg("page", "p1", anonymousId="new-cookie"))
    tracker.write(
        msg(
            "identify",
            "i2",
            anonymousId="new-cookie",
            userId="web-3",
            traits={"email": " CARA@acme.example ", "name": "Cara"},
        )
    )
    assert people(tracker, "i1", "p1", "i2") == {existing}
    live = tracker.contacts()
    assert [(c.id, c.email, c.name) for c in live] == [(existing, "cara@acme.example", "Cara")]
    merged = [c for c in tracker.contacts(live=False) if c.merged_into_id is not None]
    assert merged and all(c.merged_into_id == existing and c.email is None for c in merged)


def test_a_shared_device_does_not_merge_two_known_people(tracker: Tracker) -> None:
    tracker.write(msg("identify", "i1", anonymousId="kiosk", userId="u-1"))
    tracker.write(msg("identify", "i2", anonymousId="kiosk", userId="u-2"))
    assert len(people(tracker, "i1", "i2")) == 2
    assert len(tracker.contacts()) == 2


def test_merges_chain_to_the_final_survivor(tracker: Tracker) -> None:
    tracker.write(msg("page", "p1", anonymousId="c1"))
    tracker.write(msg("identify", "i1", anonymousId="c1", userId="u-1"))
    first = tracker.person_of("i1").id
    tracker.write(msg("identify", "i2", userId="u-2", traits={"email": "d@delta.example"}))
    tracker.write(msg("identify", "i3", userId="u-1", traits={"email": "d@delta.example"}))
    tracker.write(msg("alias", "a1", previousId="u-2", userId="u-3"))
    (final,) = people(tracker, "p1", "i1", "i2", "i3", "a1")
    for contact in tracker.contacts(live=False):
        if contact.id != final:
            assert contact.merged_into_id == final, "every merged contact points at the survivor"
    assert tracker.contact(first).merged_into_id == final


def test_passive_profiling_keeps_no_trace_of_forbidden_traits(tracker: Tracker) -> None:
    forbidden = {
        "phone": "+1-555-0100",
        "title": "Chief Information Officer",
        "company": "Initech Holdings",
        "budget": "750000",
    }
    tracker.write(
        msg(
            "identify",
            "i1",
            userId="u-1",
            traits={"email": "eve@initech.example", "name": "Eve", **forbidden},
            context={"traits": {"address": "1 Infinite Loop"}},
        )
    )
    event = tracker.event("i1")
    assert event.dropped_traits == "address,budget,company,phone,title"
    stored = event.payload_json + repr(tracker.contacts(live=False)) + repr(tracker.accounts())
    for value in [*forbidden.values(), "1 Infinite Loop"]:
        assert value not in stored
    assert orjson.loads(event.payload_json)["traits"] == {
        "email": "eve@initech.example",
        "name": "Eve",
    }


def test_subscribed_topics_are_kept_on_the_contact(tracker: Tracker) -> None:
    tracker.write(
        msg("identify", "i1", userId="u-1", traits={"subscribe": True, "topic": "SD-WAN"})
    )
    tracker.write(
        msg("identify", "i2", userId="u-1", traits={"subscribe": "yes", "topics": ["5G", "SD-WAN"]})
    )
    tracker.write(msg("identify", "i3", userId="u-1", traits={"subscribe": False, "topic": "x"}))
    person = tracker.person_of("i1")
    assert orjson.loads(person.topics_json) == ["5G", "SD-WAN"]


def test_accounts_come_from_company_email_domains_not_free_mail(tracker: Tracker) -> None:
    tracker.write(
        msg("identify", "i1", userId="u-1", traits={"email": "ana@acme.example"}),
        msg("identify", "i2", userId="u-2", traits={"email": "bob@ACME.example"}),
        msg("identify", "i3", userId="u-3", traits={"email": "carl@gmail.com"}),
        msg("identify", "i4", userId="u-4", traits={"email": "dana@yahoo.co.uk"}),
    )
    ana, bob, carl, dana = (tracker.person_of(m) for m in ("i1", "i2", "i3", "i4"))
    assert ana.account_id is not None and ana.account_id == bob.account_id
    assert tracker.account(ana.account_id).domain == "acme.example"
    assert carl.account_id is None and dana.account_id is None
    assert [a.domain for a in tracker.accounts()] == ["acme.example"]


def test_group_ties_a_person_to_an_account_and_wins_over_the_email_domain(
    tracker: Tracker,
) -> None:
    tracker.write(msg("identify", "i1", userId="u-1", traits={"email": "ana@acme.example"}))
    tracker.write(
        msg(
            "group",
            "g1",
            userId="u-1",
            groupId="sf-001",
            traits={"name": "Globex", "website": "https://www.globex.example/about", "ceo": "Hank"},
        )
    )
    person = tracker.person_of("g1")
    account = tracker.account(person.account_id)
    assert (account.group_id, account.name, account.domain) == (
        "sf-001",
        "Globex",
        "globex.example",
    )
    assert tracker.event("g1").dropped_traits == "ceo"
    # The same group again, from an anonymous visitor: same account, no duplicate.
    tracker.write(msg("group", "g2", anonymousId="c-1", groupId="sf-001"))
    assert tracker.person_of("g2").account_id == account.id
    assert len([a for a in tracker.accounts() if a.group_id == "sf-001"]) == 1


def test_group_adopts_the_email_domain_account(tracker: Tracker) -> None:
    tracker.write(msg("identify", "i1", userId="u-1", traits={"email": "ana@acme.example"}))
    by_domain = tracker.person_of("i1").account_id
    tracker.write(
        msg("group", "g1", userId="u-2", groupId="acct-9", traits={"domain": "acme.example"})
    )
    assert tracker.person_of("g1").account_id == by_domain
    assert tracker.account(by_domain).group_id == "acct-9"


def test_replaying_an_old_identify_does_not_undo_a_later_one(tracker: Tracker) -> None:
    first = msg(
        "identify",
        "i1",
        userId="u-1",
        traits={"email": "old@acme.example"},
        timestamp="2026-03-01T08:00:00Z",
    )
    tracker.write(first)
    tracker.write(
        msg(
            "identify",
            "i2",
            userId="u-1",
            traits={"email": "new@acme.example"},
            timestamp="2026-03-01T08:05:00Z",
        )
    )
    assert tracker.write(first).duplicates == 1  # a client retry of the first batch
    assert tracker.person_of("i1").email == "new@acme.example"


def test_replaying_an_old_identify_does_not_merge_two_people(tracker: Tracker) -> None:
    old = msg("identify", "i1", userId="u-1", traits={"email": "shared@acme.example"})
    tracker.write(old)
    tracker.write(msg("identify", "i2", userId="u-1", traits={"email": "own@acme.example"}))
    tracker.write(msg("identify", "i3", userId="u-2", traits={"email": "shared@acme.example"}))
    tracker.write(old, msg("identify", "i2", userId="u-1", traits={"email": "own@acme.example"}))
    assert len(people(tracker, "i1", "i3")) == 2
    assert sorted(c.email for c in tracker.contacts()) == [
        "own@acme.example",
        "shared@acme.example",
    ]


def test_replaying_an_old_group_call_does_not_move_the_person_back(tracker: Tracker) -> None:
    first = msg("group", "g1", userId="u-1", groupId="acct-1")
    tracker.write(first)
    tracker.write(msg("group", "g2", userId="u-1", groupId="acct-2"))
    tracker.write(first)
    assert tracker.account(tracker.person_of("g1").account_id).group_id == "acct-2"


def test_effects_queued_in_one_unit_land_in_order(tracker: Tracker) -> None:
    # One unit (one transaction): contact changes are queued and written together, so an
    # e-mail handed from one person to another, a merge by e-mail, topics and accounts
    # decided in the same unit must all come out as if applied one message at a time.
    tracker.write(
        msg("identify", "i1", userId="u-a", traits={"email": "x@acme.example"}),
        msg("identify", "i2", userId="u-b", traits={"email": "z@beta.example"}),
        msg("identify", "i3", userId="u-a", traits={"email": "y@acme.example", "topic": "5g"}),
        msg("identify", "i4", userId="u-b", traits={"email": "x@acme.example"}),
        msg("page", "p1", anonymousId="dev-c"),
        msg(
            "identify", "i5", anonymousId="dev-c", userId="u-c", traits={"email": "y@acme.example"}
        ),
        msg("group", "g1", userId="u-b", groupId="crm-9", traits={"name": "Beta Inc"}),
    )
    a, b, c = (tracker.person_of(m).id for m in ("i1", "i2", "i5"))
    assert a == c  # u-c arrived with u-a's current e-mail, so it merged into u-a
    assert tracker.person_of("p1").id == a
    person_a, person_b = tracker.contact(a), tracker.contact(b)
    assert (person_a.email, person_b.email) == ("y@acme.example", "x@acme.example")
    assert orjson.loads(person_a.topics_json) == ["5g"]
    assert tracker.account(person_a.account_id).domain == "acme.example"
    assert tracker.account(person_b.account_id).group_id == "crm-9"
    assert len(tracker.events()) == 7
