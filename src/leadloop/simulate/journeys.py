"""People moving through the buying stages, one session at a time.

A person's plan is a queue of (stage, sessions, not-before) steps: buying stages in order,
then, depending on sales' answer, the customer lifecycle or a recycled nurture. Each session
consumes content of the step's stage (now and then revisiting an earlier one), so consumed
stages never jump ahead. Anonymous until a form is due; a second device starts anonymous
again and identifies later with the same ``userId``.
"""

from __future__ import annotations

import random
from typing import Any, Final

from leadloop.simulate import costs, ids, names, vocab
from leadloop.simulate.catalog import Asset
from leadloop.simulate.clock import between_ms, next_session
from leadloop.simulate.config import DAY_MS, HOUR_MS
from leadloop.simulate.context import EXISTING_CUSTOMER, WON_CUSTOMER, Sim
from leadloop.simulate.plans import NEVER
from leadloop.simulate.sales import Handoff
from leadloop.simulate.segment import ESP_LIBRARY
from leadloop.simulate.vocab import (
    ADOPTION,
    ADVOCACY,
    CONSIDERATION,
    INTEREST,
    PURCHASE,
    RENEWAL,
)

EMAIL_SHARE: Final = 0.4
CLICK_RATE: Final = 0.45
REVISIT_RATE: Final = 0.12
SECOND_PAGE_RATE: Final = 0.3
LEAKY_FORM_RATE: Final = 0.1
GROUP_FREE_MAIL_RATE: Final = 0.5
ESP_CONTEXT: Final = {"library": ESP_LIBRARY}


class Person:
    """A journey in progress: its plan, devices, what it has read, how far it got."""

    __slots__ = (
        "agents",
        "anon",
        "contact",
        "customer",
        "devices_due",
        "expanded",
        "fresh",
        "gap_ms",
        "identify",
        "known",
        "login",
        "max_stage",
        "persona",
        "pid",
        "plan",
        "region",
        "sales_ready",
        "seen",
        "sessions",
        "topics",
        "tz_ms",
        "user",
    )

    def __init__(self, pid: int, contact: int, plan: list[list[int]]) -> None:
        self.pid = pid
        self.contact = contact
        self.plan = plan
        self.anon: list[str] = []
        self.agents: list[int] = []
        self.known: list[bool] = []
        self.user: str | None = None
        self.identify = NEVER
        self.devices_due = 0
        self.persona = 0
        self.topics: tuple[int, ...] = ()
        self.region = 0
        self.tz_ms = 0
        self.gap_ms = DAY_MS
        self.seen: set[int] = set()
        self.max_stage = -1
        self.sales_ready = False
        self.customer = False
        self.login = False  # known from before the period: identifies by logging in
        self.expanded = False
        self.sessions = 0
        self.fresh = True  # no session yet in the current plan step


class Journeys:
    """Creates people when their journey starts and plays each of their sessions."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.rng: random.Random = sim.rng
        self.seed = sim.config.seed
        self.n_contacts = len(sim.world.contacts)

    def activate(self, pid: int) -> tuple[int, Person]:
        """The person with id ``pid`` and the time of their first session."""
        sim = self.sim
        person = self._contact(pid) if pid < self.n_contacts else self._visitor(pid)
        person.gap_ms = int(float(sim.plans.gap_days[pid]) * DAY_MS)
        person.tz_ms = vocab.REGION_UTC_OFFSET_H[person.region] * HOUR_MS
        self._add_device(person)
        first = next_session(int(sim.plans.start_ms[pid]), person.tz_ms, self.rng)
        return first, person

    def _steps(self, pid: int) -> list[list[int]]:
        counts = self.sim.sessions[pid].tolist()
        return [[stage, n, 0] for stage, n in enumerate(counts) if n > 0]

    def _contact(self, c: int) -> Person:
        plans, contacts = self.sim.plans, self.sim.world.contacts
        person = Person(c, c, self._steps(c))
        person.identify = int(plans.identify_stage[c])
        person.customer = person.login = bool(plans.customer[c])
        if person.customer:
            self.sim.truth.customer[c] = EXISTING_CUSTOMER
        person.devices_due = 2 if plans.second_device[c] else 1
        person.persona = int(contacts.persona[c])
        person.topics = (int(contacts.topic_a[c]), int(contacts.topic_b[c]))
        person.region = int(self.sim.world.accounts.region[int(contacts.account[c])])
        return person

    def _visitor(self, pid: int) -> Person:
        plans = self.sim.plans
        v = pid - self.n_contacts
        person = Person(pid, -1, self._steps(pid))
        person.persona = int(plans.visitor_persona[v])
        favourites = vocab.TOPICS_BY_PERSONA[person.persona]
        person.topics = (favourites[self.rng.randrange(3)], self.rng.randrange(len(vocab.TOPICS)))
        person.region = int(plans.visitor_region[v])
        return person

    def _add_device(self, p: Person) -> None:
        device = len(p.anon)
        p.anon.append(ids.anonymous_id(self.seed, p.pid, device))
        first_agent = self.rng.randrange(names.DESKTOP_AGENTS)
        p.agents.append(first_agent if device == 0 else self.rng.randrange(4, 6))
        p.known.append(False)
        if p.contact >= 0:
            self.sim.truth.devices[p.contact] = device + 1

    def session(self, p: Person, t: int) -> int | None:
        """Play one session starting at ``t``; return the next one's start, or ``None``."""
        step = p.plan[0]
        stage = step[0]
        if p.user is not None and not p.fresh and self.rng.random() < EMAIL_SHARE:
            end = self._email(p, t, stage)
        else:
            end = self._web(p, t, stage, self.sim.sources.pick(p.sessions == 0, p.topics[0]))
        p.sessions += 1
        p.fresh = False
        step[1] -= 1
        while p.plan and p.plan[0][1] <= 0:
            p.fresh = True  # a new stage opens with a visit to that stage's content
            not_before = p.plan.pop(0)[2]
            if p.plan:  # a skipped step's delay still applies to the next one
                p.plan[0][2] = max(p.plan[0][2], not_before)
        if not p.plan:
            return None
        return next_session(max(end, p.plan[0][2]), p.tz_ms, self.rng, p.gap_ms)

    def _email(self, p: Person, t: int, stage: int) -> int:
        if p.customer:
            program = costs.CUSTOMER_EMAIL
        elif self.rng.random() < 0.25:
            program = costs.NEWSLETTER
        else:
            program = costs.NURTURE + min(stage, PURCHASE)
        asset = self.sim.shelf.pick(p, stage if program != costs.NEWSLETTER else 0)
        name = costs.PROGRAMS[program].name
        props: dict[str, Any] = {
            "campaign": name,
            "email_id": self._email_id(program, t),
            "asset_id": asset.asset_id,
        }
        self.sim.emitter.track(t, None, p.user, "Email Opened", props, ESP_CONTEXT)
        self.sim.ledger.touch(program, t)
        if self.rng.random() >= CLICK_RATE:
            return t
        t += between_ms(self.rng, 10, 600)
        clicked = {**props, "url": asset.url}
        self.sim.emitter.track(t, None, p.user, "Email Clicked", clicked, ESP_CONTEXT)
        campaign = {"name": name, "source": "newsletter", "medium": "email"}
        return self._visit(p, t + between_ms(self.rng, 2, 9), stage, asset, campaign, None)

    def _email_id(self, program: int, t: int) -> str:
        month = self.sim.emitter.clock(t)[:7].replace("-", "")
        return f"em-{program:02d}-{month}"

    def _web(self, p: Person, t: int, stage: int, source: tuple[int, Any, str | None]) -> int:
        program, campaign, referrer = source
        if program >= 0:
            self.sim.ledger.touch(program, t)
        asset = self._choose(p, stage)
        return self._visit(p, t, stage, asset, campaign, referrer)

    def _choose(self, p: Person, stage: int) -> Asset:
        shelf = self.sim.shelf
        if stage == PURCHASE and not p.sales_ready and p.contact >= 0:
            first_time = p.max_stage < PURCHASE
            if self.rng.random() < (0.85 if first_time else 0.35):
                return shelf.hot(p)
        if 0 < stage <= PURCHASE and not p.fresh and self.rng.random() < REVISIT_RATE:
            stage -= 1
        return shelf.pick(p, stage)

    def _device(self, p: Person) -> int:
        if p.user is not None and len(p.anon) < p.devices_due and self.rng.random() < 0.3:
            self._add_device(p)
            return len(p.anon) - 1
        return 0 if len(p.anon) == 1 else self.rng.randrange(len(p.anon))

    def _visit(
        self,
        p: Person,
        t: int,
        stage: int,
        asset: Asset,
        campaign: dict[str, Any] | None,
        referrer: str | None,
    ) -> int:
        sim = self.sim
        device = self._device(p)
        anon = p.anon[device]
        ctx = sim.consumption.context(p.agents[device], campaign)
        user = p.user if p.known[device] else None
        sim.consumption.view(t, asset, anon, user, ctx, referrer)
        self._consumed(p, asset.stage, t)
        t += between_ms(self.rng, 3, 30)
        if self._form_due(p, device, stage):
            t = self._identify(p, device, t, asset, ctx)
            user = p.user
        hot = asset.format.hot
        t, downloaded = sim.consumption.consume(t, asset, asset.stage, anon, user, ctx, hot)
        if asset.format.kind == "webinar" and user is not None:
            sim.ledger.touch(costs.WEBINARS, t)
        if hot and downloaded >= 0 and user is not None and not p.sales_ready:
            self._sales_ready(p, downloaded)
        elif asset.stage == RENEWAL and p.customer and user is not None and not p.expanded:
            self._expansion(p, t)
        if not hot and self.rng.random() < SECOND_PAGE_RATE:
            # The next page no longer carries the landing page's utm tags.
            plain = sim.consumption.context(p.agents[device], None)
            t = self._second_page(p, t, stage, anon, user, plain)
        return t

    def _second_page(
        self, p: Person, t: int, stage: int, anon: str, user: str | None, ctx: dict[str, Any]
    ) -> int:
        asset = self.sim.shelf.pick(p, stage)
        t += between_ms(self.rng, 2, 20)
        self.sim.consumption.view(t, asset, anon, user, ctx)
        self._consumed(p, asset.stage, t)
        t += 1000
        return self.sim.consumption.consume(t, asset, asset.stage, anon, user, ctx)[0]

    def _consumed(self, p: Person, stage: int, t: int) -> None:
        if stage > p.max_stage:
            p.max_stage = stage
            if p.contact >= 0:
                self.sim.truth.stage[p.contact] = stage

    def _form_due(self, p: Person, device: int, stage: int) -> bool:
        if p.known[device] or p.contact < 0:
            return False
        if p.user is None:
            return stage >= p.identify
        return self.rng.random() < 0.5  # a returning person on a new device fills a form

    def _identify(self, p: Person, device: int, t: int, asset: Asset, ctx: dict[str, Any]) -> int:
        sim, c = self.sim, p.contact
        first = p.user is None
        p.user = sim.world.contacts.user_id(c)
        p.known[device] = True
        anon = p.anon[device]
        if p.login:  # a customer signing in to the portal: the site identifies them
            traits = {
                "name": sim.world.contacts.name(c),
                "email": sim.world.contacts.email(c, sim.world.accounts),
            }
        else:
            form = "gated-content" if asset.format.gated else "newsletter-signup"
            sim.emitter.track(
                t, anon, None, "Form Submitted", {"form": form, "asset_id": asset.asset_id}, ctx
            )
            t += between_ms(self.rng, 1, 3)
            traits = self._traits(p, asset)
        sim.emitter.identify(t, anon, p.user, traits, ctx)
        if first:
            sim.truth.identified_at[c] = t
            t = self._group(p, anon, t + 1000, ctx)
        return t + 1000

    def _traits(self, p: Person, asset: Asset) -> dict[str, Any]:
        contacts, c = self.sim.world.contacts, p.contact
        traits: dict[str, Any] = {
            "name": contacts.name(c),
            "email": contacts.email(c, self.sim.world.accounts),
            "subscribe": True,
            "topic": vocab.TOPICS[asset.topics[0]],
        }
        if self.rng.random() < LEAKY_FORM_RATE:
            # An old form template still asks what the brief forbids; ingest must drop it.
            leak = self.rng.choice(("phone", "title", "company", "all"))
            if leak in ("phone", "all"):
                traits["phone"] = f"+1 555 01{self.rng.randrange(100):02d} {c % 10_000:04d}"
            if leak in ("title", "all"):
                traits["title"] = vocab.PERSONA_TITLES[p.persona]
            if leak in ("company", "all"):
                account = int(contacts.account[c])
                traits["company"] = self.sim.world.accounts.name(account)
        return traits

    def _group(self, p: Person, anon: str, t: int, ctx: dict[str, Any]) -> int:
        world, c = self.sim.world, p.contact
        free = world.contacts.free_mail[c] >= 0
        if free and self.rng.random() >= GROUP_FREE_MAIL_RATE:
            return t
        account = int(world.contacts.account[c])
        traits: dict[str, Any] = {
            "name": world.accounts.name(account),
            "website": f"https://www.{world.accounts.domain(account)}",
        }
        if self.rng.random() < 0.5:
            traits["industry"] = names.INDUSTRIES[int(world.accounts.industry[account])][0]
            traits["employees"] = int(world.accounts.employees[account])
        assert p.user is not None
        self.sim.emitter.group(t, anon, p.user, world.accounts.group_id(account), traits, ctx)
        return t

    def _sales_ready(self, p: Person, t: int) -> None:
        p.sales_ready = True
        self.sim.truth.sales_ready_at[p.contact] = t
        handoff = self.sim.desk.hand_off(p.contact, t)
        if handoff.opportunity >= 0:
            self.sim.truth.opportunity[p.contact] = handoff.opportunity
        self._after_handoff(p, handoff)

    def _expansion(self, p: Person, t: int) -> None:
        p.expanded = True
        handoff = self.sim.desk.expansion(p.contact, t)
        if handoff.opportunity >= 0:
            self.sim.truth.opportunity[p.contact] = handoff.opportunity

    def _after_handoff(self, p: Person, handoff: Handoff) -> None:
        rng, until = self.rng, handoff.until
        if handoff.outcome == "won":
            p.customer = True
            self.sim.truth.customer[p.contact] = WON_CUSTOMER
            p.plan += [
                [vocab.ONBOARDING, rng.randint(1, 3), until + rng.randint(3, 20) * DAY_MS],
                [ADOPTION, rng.randint(2, 5), 0],
                [RENEWAL, rng.randint(0, 2), until + 240 * DAY_MS],
                [ADVOCACY, int(rng.random() < 0.35), 0],
            ]
        elif handoff.outcome in ("lost", "rejected"):
            # Recycled into nurture: back to comparing options, history kept.
            p.plan += [
                [INTEREST, rng.randint(0, 2), until + rng.randint(7, 30) * DAY_MS],
                [CONSIDERATION, rng.randint(1, 3), 0],
            ]
