"""Identity resolution: which person (contact) an incoming message belongs to.

A person is seen through identities: device ids (``anonymousId``) and user ids. The rules,
in the brief's words: anonymous visitors are tracked; when they identify, their whole
history joins the contact; a second device or an ``alias`` merges two profiles; a contact
that arrives with the e-mail of an existing contact merges into it. Merging only re-points
identities, so no event is ever lost or duplicated.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from leadloop.domain.accounts import company_domain, domain_from_website
from leadloop.domain.messages import Message, message_dedup_key
from leadloop.domain.plain_messages import PlainEvent
from leadloop.domain.traits import (
    display_name,
    normalise_email,
    plausible_name,
    subscribed_topics,
)


def dedup_key(message: Message) -> tuple[int, int]:
    """The message's key in the events table (``message_dedup_key``)."""
    return message_dedup_key(message.message_id, message.original_timestamp)


@dataclass(frozen=True, slots=True)
class ContactRef:
    """What resolution needs to know about a contact."""

    id: int
    known: bool
    email: str | None


class IdentityRepository(Protocol):
    """The store operations identity resolution runs on, inside one unit of work."""

    def find_identity(self, kind: str, value: str) -> int | None: ...
    def find_identities(self, kind: str, values: list[str]) -> dict[str, int]: ...
    def create_people(self, kind: str, values: list[str]) -> dict[str, int]:
        """One new contact per value (known for user ids), each with its identity."""
        ...

    def create_identity(self, kind: str, value: str, contact_id: int) -> int: ...
    def contact_of(self, identity_id: int) -> ContactRef: ...
    def create_contact(self, known: bool) -> int: ...
    def find_contact_by_email(self, email: str) -> int | None: ...
    def update_contact(
        self, contact_id: int, *, email: str | None, name: str | None, topics: tuple[str, ...]
    ) -> None: ...
    def merge_contacts(self, loser: int, survivor: int) -> None: ...
    def account_for_domain(self, domain: str) -> int: ...
    def account_for_group(self, group_id: str, name: str | None, domain: str | None) -> int: ...
    def set_account(self, contact_id: int, account_id: int, *, override: bool) -> None: ...
    def preload(
        self, identity_ids: list[int], emails: list[str], domains: list[str], group_ids: list[str]
    ) -> None:
        """A hint: the unit will ask about these contacts, e-mails and domains; fetch them
        in a few set-based reads instead of one round trip each. Results stay the same."""
        ...


_PLAIN = frozenset({"track", "page", "screen"})


Resolvable = Message | PlainEvent
"""What the resolver reads: a plain import line comes as a row-shaped :class:`PlainEvent`."""


def _keys(m: Resolvable) -> list[tuple[str, str]]:
    keys = []
    if m.anonymous_id is not None:
        keys.append(("anonymous", m.anonymous_id))
    if m.user_id is not None:
        keys.append(("user", m.user_id))
    return keys


IdKey = tuple[str, str]
"""An identity as the resolver caches it: (``anonymous`` or ``user``, the id)."""


def first_appearances(
    messages: Iterable[Resolvable], known: Container[IdKey]
) -> tuple[dict[IdKey, bool], list[Resolvable]]:
    """Each id not in ``known``, in order of first appearance, and whether that was a plain
    page/track/screen from that one id (such an id gets a new person without asking
    :meth:`IdentityResolver.resolve`); and the messages that can have effects: all but those
    plain one-id events."""
    first: dict[IdKey, bool] = {}
    effects: list[Resolvable] = []
    for m in messages:  # the hot loop of an import: _keys(m), inlined
        anonymous_id, user_id = m.anonymous_id, m.user_id
        plain = m.type in _PLAIN and (anonymous_id is None) != (user_id is None)
        if not plain:
            effects.append(m)
        if anonymous_id is not None:
            key = ("anonymous", anonymous_id)
            if key not in known and key not in first:
                first[key] = plain
        if user_id is not None:
            key = ("user", user_id)
            if key not in known and key not in first:
                first[key] = plain
    return first, effects


def _group_domain(m: Message) -> str | None:
    """The company domain a group call names, from its ``domain`` or ``website`` trait."""
    traits = m.traits
    return domain_from_website(traits.get("domain")) or domain_from_website(traits.get("website"))


def _person_traits(m: Message) -> dict[str, object]:
    """An identify's traits: the message's own over those in ``context.traits``."""
    return {**m.context.get("traits", {}), **m.traits}


class IdentityResolver:
    """Applies the identity rules to one message at a time.

    Identity ids never change once created, so they are cached across units of work; call
    :meth:`forget` after a rollback.
    """

    def __init__(self, repo: IdentityRepository, cache_size: int = 200_000) -> None:
        self.repo = repo
        self._cache: dict[tuple[str, str], int] = {}
        self._cache_size = cache_size
        self._linked: set[tuple[int, int]] = set()
        self._absent: set[tuple[str, str]] = set()  # looked up in this unit, not stored

    def forget(self) -> None:
        """Drop cached ids: identities created in a rolled-back transaction do not exist."""
        self._cache.clear()
        self._linked.clear()
        self._absent.clear()

    def prepare(self, messages: Sequence[Resolvable]) -> None:
        """Look up every unseen id of a batch at once and create the plainly new ones in bulk.

        Equivalent to resolving one by one: an id whose first appearance is a plain
        page/track/screen from one id gets a new person either way; ids that first appear
        in identify/alias/group or beside a second id are left to :meth:`resolve`.
        """
        first, effects = first_appearances(messages, self._cache)
        self._prepare(first, effects, ())

    def prepare_ids(
        self,
        first: Mapping[IdKey, bool],
        messages: Sequence[Resolvable],
        pairs: Iterable[tuple[str, str]],
    ) -> None:
        """:meth:`prepare` for a batch read elsewhere: ``first`` is what
        :func:`first_appearances` found in it, ``messages`` are its messages that can have
        effects and ``pairs`` the distinct two-id (device, user) pairs of its plain events."""
        cache = self._cache
        self._prepare({k: v for k, v in first.items() if k not in cache}, messages, pairs)

    def _prepare(
        self,
        first: Mapping[IdKey, bool],
        messages: Sequence[Resolvable],
        pairs: Iterable[tuple[str, str]],
    ) -> None:
        cache = self._cache
        self._absent = set()
        if len(cache) + len(first) >= self._cache_size:
            self.forget()
        for kind in ("anonymous", "user"):
            wanted = [v for (k, v) in first if k == kind]
            if not wanted:
                continue
            found = self.repo.find_identities(kind, wanted)
            for value, identity_id in found.items():
                cache[(kind, value)] = identity_id
            new = [v for v in wanted if v not in found and first[(kind, v)]]
            if new:
                for value, identity_id in self.repo.create_people(kind, new).items():
                    cache[(kind, value)] = identity_id
            self._absent.update((kind, v) for v in wanted if (kind, v) not in cache)
        self._preload(messages, pairs)

    def _preload(self, messages: Sequence[Resolvable], pairs: Iterable[tuple[str, str]]) -> None:
        """Hand the repository the contacts, e-mails and domains identity effects will read."""
        cache, linked = self._cache, self._linked
        ids: set[int] = set()
        emails: set[str] = set()
        groups: set[str] = set()
        group_domains: set[str] = set()
        for anonymous_id, user_id in pairs:
            device, user = cache.get(("anonymous", anonymous_id)), cache.get(("user", user_id))
            if (device, user) in linked:
                continue
            if device is not None:
                ids.add(device)
            if user is not None:
                ids.add(user)
        for m in messages:
            if m.type in _PLAIN:
                if m.anonymous_id is None or m.user_id is None:
                    continue
                pair = (cache.get(("anonymous", m.anonymous_id)), cache.get(("user", m.user_id)))
                if pair in linked:
                    continue
            for key in _keys(m):
                hit = cache.get(key)
                if hit is not None:
                    ids.add(hit)
            if isinstance(m, PlainEvent):
                continue  # no traits, no group
            if m.type == "identify":
                email = normalise_email(_person_traits(m).get("email"))
                if email is not None:
                    emails.add(email)
            elif m.group_id is not None:
                groups.add(m.group_id)
                if m.type == "group":
                    domain = _group_domain(m)
                    if domain is not None:
                        group_domains.add(domain)
        if ids or emails or groups:
            domains = {d for d in map(company_domain, emails) if d is not None} | group_domains
            self.repo.preload(sorted(ids), sorted(emails), sorted(domains), sorted(groups))

    def _find(self, kind: str, value: str) -> int | None:
        key = (kind, value)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if key in self._absent:
            return None
        found = self.repo.find_identity(kind, value)
        if found is not None:
            self._remember(key, found)
        return found

    def _create(self, kind: str, value: str, contact_id: int) -> int:
        identity_id = self.repo.create_identity(kind, value, contact_id)
        self._remember((kind, value), identity_id)
        return identity_id

    def _remember(self, key: tuple[str, str], identity_id: int) -> None:
        if len(self._cache) >= self._cache_size:
            self.forget()
        self._cache[key] = identity_id
        self._absent.discard(key)

    def known(self, event: PlainEvent) -> int | None:
        """What :meth:`resolve` returns for ``event`` when that needs no lookup and changes
        nothing (after :meth:`prepare`, nearly every plain event of an import): its one id
        is cached, or its two ids are cached and already joined (the user's); else ``None``.
        """
        return self.known_ids(event.anonymous_id, event.user_id)

    def known_ids(self, anonymous_id: str | None, user_id: str | None) -> int | None:
        """:meth:`known` for a plain event given by its two ids."""
        cache = self._cache
        if user_id is None:
            return cache.get(("anonymous", anonymous_id))  # type: ignore[arg-type]
        user = cache.get(("user", user_id))
        if anonymous_id is None or user is None:
            return user
        device = cache.get(("anonymous", anonymous_id))
        return user if device is not None and (device, user) in self._linked else None

    def resolve(self, message: Resolvable) -> int:
        """Return the identity id the message's event belongs to, applying its effects."""
        if message.type == "alias":
            assert isinstance(message, Message)  # a PlainEvent is a track, page or screen
            return self._alias(message)
        identity_id = self.resolve_ids(message.anonymous_id, message.user_id)
        if isinstance(message, PlainEvent):
            return identity_id  # no traits, no group
        if message.type == "identify":
            self._identify(identity_id, message)
        elif message.type == "group":
            self._group(identity_id, message)
        return identity_id

    def resolve_ids(self, anonymous_id: str | None, user_id: str | None) -> int:
        """The identity of a message from these ids (at least one), joining the device to
        the user where that is new: :meth:`resolve` of a plain event, and the part of every
        other message's resolution that its ids decide."""
        anon_id = self._anonymous(anonymous_id) if anonymous_id else None
        if user_id is None:
            assert anon_id is not None
            return anon_id
        return self._user(user_id, anon_id)

    def _anonymous(self, anonymous_id: str) -> int:
        found = self._find("anonymous", anonymous_id)
        if found is not None:
            return found
        return self._create("anonymous", anonymous_id, self.repo.create_contact(known=False))

    def _user(self, user_id: str, anon_id: int | None) -> int:
        """The user's identity; an anonymous device that is not someone else joins it."""
        found = self._find("user", user_id)
        if found is not None and anon_id is not None:
            if (anon_id, found) in self._linked:
                return found
            self._linked.add((anon_id, found))
        device = self.repo.contact_of(anon_id) if anon_id is not None else None
        if found is None:
            if device is not None and not device.known:
                self.repo.update_contact(device.id, email=None, name=None, topics=())
                return self._create("user", user_id, device.id)
            return self._create("user", user_id, self.repo.create_contact(known=True))
        if device is not None and not device.known:
            person = self.repo.contact_of(found)
            if person.id != device.id:
                self.repo.merge_contacts(loser=device.id, survivor=person.id)
        return found

    def _alias(self, message: Message) -> int:
        assert message.user_id is not None and message.previous_id is not None
        target = self._user(message.user_id, None)
        previous = self._find("user", message.previous_id)
        if previous is None:
            previous = self._find("anonymous", message.previous_id)
        person = self.repo.contact_of(target)
        if previous is None:
            self._create("anonymous", message.previous_id, person.id)
            return target
        other = self.repo.contact_of(previous)
        if other.id != person.id:
            self.repo.merge_contacts(loser=other.id, survivor=person.id)
        return target

    def _identify(self, identity_id: int, message: Message) -> None:
        traits = _person_traits(message)
        person = self.repo.contact_of(identity_id)
        email = normalise_email(traits.get("email"))
        if email is not None and email != person.email:
            owner = self.repo.find_contact_by_email(email)
            if owner is not None and owner != person.id:
                self.repo.merge_contacts(loser=person.id, survivor=owner)
                person = self.repo.contact_of(identity_id)
                email = None
        self.repo.update_contact(
            person.id,
            email=email,
            name=display_name(traits),
            topics=subscribed_topics(traits) if ("topic" in traits or "topics" in traits) else (),
        )
        domain = company_domain(email or person.email)
        if domain is not None:
            self.repo.set_account(person.id, self.repo.account_for_domain(domain), override=False)

    def _group(self, identity_id: int, message: Message) -> None:
        assert message.group_id is not None
        name = plausible_name(message.traits.get("name"))
        account = self.repo.account_for_group(message.group_id, name, _group_domain(message))
        person = self.repo.contact_of(identity_id)
        self.repo.set_account(person.id, account, override=True)
