"""The profile updater on SQLite and PostgreSQL: journeys, merges, replays, account roll-up."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from leadloop.bootstrap import Container
from leadloop.domain.messages import BatchEnvelope, parse_message
from leadloop.services.profile_reads import account_profile, contact_profile, lead_facts
from leadloop.store.ingest import WriteUnit
from leadloop.store.tables import contacts, identities, profiles
from profiling_helpers import (
    T0,
    Site,
    coverage_map_downloader,
    msg,
    page,
    track,
    video_book_reader,
)

AS_OF = T0 + timedelta(days=7)


def contact_of(site: Site, kind: str, value: str) -> int:
    with site.container.engine.connect() as conn:
        return int(
            conn.execute(
                select(identities.c.contact_id).where(
                    identities.c.workspace_id == site.workspace_id,
                    identities.c.kind == kind,
                    identities.c.value == value,
                )
            ).scalar_one()
        )


def catch_up(site: Site) -> None:
    site.container.profile_updater.catch_up(site.workspace_id)


def profile_of(site: Site, contact_id: int):  # type: ignore[no-untyped-def]
    cfg = site.container.profile_config
    return contact_profile(site.container.engine, site.workspace_id, contact_id, cfg, AS_OF)


def test_video_book_reader_is_warm_and_coverage_map_downloader_is_hot(
    container: Container,
) -> None:
    site = Site.create(container)
    site.write(*video_book_reader({"anonymousId": "reader"}))
    site.write(*coverage_map_downloader({"anonymousId": "buyer"}))
    catch_up(site)
    reader = profile_of(site, contact_of(site, "anonymous", "reader")).profile
    buyer = profile_of(site, contact_of(site, "anonymous", "buyer")).profile
    assert (reader.engagement_level, reader.buying_stage) == ("warm", "awareness")
    assert reader.evidence[0].grade == "deep_read"
    assert "Read 4 of 7 sections of the video book 'The SD-WAN video book'" in (
        reader.evidence[0].sentence
    )
    assert (buyer.engagement_level, buyer.buying_stage) == ("hot", "purchase")
    assert buyer.hot_signals == ("map-1",)
    assert buyer.explanation("engagement_level").sentence.startswith("Hot: a hot signal")


def test_a_replayed_event_never_changes_a_profile_twice(container: Container) -> None:
    site = Site.create(container)
    who = {"anonymousId": "reader"}
    sent = video_book_reader(who)
    site.write(*sent)
    catch_up(site)
    contact = contact_of(site, "anonymous", "reader")
    before = profile_of(site, contact).profile
    assert site.write(*sent).duplicates == len(sent)
    catch_up(site)
    catch_up(site)
    after = profile_of(site, contact).profile
    assert after == before
    assert after.evidence[0].state.active_ms == 350_000
    assert after.evidence[0].state.visits == 2


def test_anonymous_history_joins_the_identified_contact(container: Container) -> None:
    site = Site.create(container)
    site.write(*video_book_reader({"anonymousId": "cookie"}))
    catch_up(site)
    anonymous = contact_of(site, "anonymous", "cookie")
    site.write(
        msg("identify", T0 + timedelta(days=3), {"anonymousId": "cookie", "userId": "u1"},
            traits={"email": "ada@bank.example", "name": "Ada"}),
        *coverage_map_downloader({"userId": "u1"}, T0 + timedelta(days=4)),
    )  # fmt: skip
    catch_up(site)
    known = contact_of(site, "user", "u1")
    p = profile_of(site, known).profile
    assert {e.asset_id for e in p.evidence} == {"vb-1", "map-1"}
    # The loser's id resolves to the survivor; its stored profile row is gone.
    assert profile_of(site, anonymous).contact.id == known
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(profiles.c.contact_id).where(profiles.c.workspace_id == site.workspace_id)
        ).scalars()
        assert set(rows) == {known}


def test_account_roll_up_of_two_contacts_at_one_company(container: Container) -> None:
    site = Site.create(container)
    for user, email, journey in (
        ("u1", "ada@bank.example", video_book_reader),
        ("u2", "bob@bank.example", coverage_map_downloader),
    ):
        who = {"userId": user}
        site.write(msg("identify", T0, who, traits={"email": email}), *journey(who))
    catch_up(site)
    ada = contact_of(site, "user", "u1")
    with container.engine.connect() as conn:
        account = conn.execute(select(contacts.c.account_id).where(contacts.c.id == ada))
        account_id = account.scalar_one()
    assert account_id is not None
    group = account_profile(
        container.engine, site.workspace_id, account_id, container.profile_config, AS_OF
    )
    assert [m.engagement_level for m in group.members] == ["hot", "warm"]
    assert group.active_contacts == 2
    assert group.profile.engagement_level == "hot"
    assert {e.contact_id for e in group.profile.evidence} == {ada, contact_of(site, "user", "u2")}
    facts = lead_facts(container.engine, site.workspace_id, ada, container.profile_config, AS_OF)
    assert (facts.engagement_level, facts.account_engagement_level) == ("warm", "hot")
    assert facts.account_id == account_id and facts.account_active_contacts == 2
    assert [e.grade for e in facts.engagements] == ["deep_read"]


def test_page_views_without_asset_id_match_the_catalog_by_url(container: Container) -> None:
    site = Site.create(container)
    who = {"anonymousId": "v"}
    site.write(
        msg("page", T0, who, properties={"url": "https://X.example/cmp/?utm=1#top"}),
        track(T0, who, "Content Engaged", asset_id="cmp-1", read_depth=70),
        page(T0, who, "not-catalogued"),
    )
    catch_up(site)
    p = profile_of(site, contact_of(site, "anonymous", "v")).profile
    assert [(e.asset_id, e.grade, e.state.visits) for e in p.evidence] == [
        ("cmp-1", "deep_read", 1)
    ]
    assert p.untagged_assets == ("not-catalogued",)


def test_listeners_hear_the_contacts_each_committed_batch_changed(container: Container) -> None:
    site = Site.create(container)
    heard: list[tuple[int, list[int]]] = []
    container.profile_updater.add_listener(lambda ws, ids: heard.append((ws, list(ids))))
    site.write(*coverage_map_downloader({"anonymousId": "buyer"}))
    catch_up(site)
    buyer = contact_of(site, "anonymous", "buyer")
    assert heard == [(site.workspace_id, [buyer])]
    catch_up(site)
    assert len(heard) == 1  # nothing new, nobody told


def test_a_failing_commit_listener_never_breaks_the_write_path(store) -> None:  # type: ignore[no-untyped-def]
    container = store.container(profile_worker=False)
    try:
        site = Site.create(container)
        writer = container.writer

        def boom(_ids: object) -> None:
            raise RuntimeError("listener bug")

        writer.add_commit_listener(boom)
        raw = page(T0, {"anonymousId": "v"}, "vb-1")
        unit = WriteUnit(site.workspace_id, site.source_id,
                         [parse_message(raw, BatchEnvelope(T0))])  # fmt: skip
        assert writer.submit(unit).result(timeout=10).stored == 1
        assert writer.submit(unit).result(timeout=10).duplicates == 1
    finally:
        container.close()


def test_the_worker_polls_for_events_other_processes_wrote(store) -> None:  # type: ignore[no-untyped-def]
    container = store.container(profile_poll_seconds=0.05)
    try:
        site = Site.create(container)
        worker = container.profile_worker  # started, never notified: only polling finds work
        site.write(*coverage_map_downloader({"anonymousId": "buyer"}))  # not via the writer
        buyer = contact_of(site, "anonymous", "buyer")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with container.engine.connect() as conn:
                found = conn.execute(
                    select(profiles.c.contact_id).where(profiles.c.contact_id == buyer)
                ).first()
            if found and worker.passes > 0:  # the pass is counted after its commit
                break
            time.sleep(0.02)
        assert found is not None and worker.passes > 0
    finally:
        container.close()


class _Waits(threading.Event):
    """A stop event that records how long the updater left the store alone."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0.0))
        if self.stop_after is not None and len(self.waits) >= self.stop_after:
            self.set()
        return self.is_set()


def _backlog(site: Site, visitors: int) -> None:
    site.write(*[page(T0 + timedelta(seconds=i), {"anonymousId": f"v{i}"}, "vb-1")
                 for i in range(visitors)])  # fmt: skip


def test_the_server_worker_leaves_sqlite_s_write_lock_free_between_backlog_batches(
    store,  # type: ignore[no-untyped-def]
) -> None:
    container = store.container(profile_batch_events=10, profile_max_batch_events=100,
                                profile_sqlite_max_batch_events=20)  # fmt: skip
    try:
        site = Site.create(container)
        _backlog(site, 95)
        updater = container.profile_updater
        waits = _Waits()
        done = updater.catch_up(site.workspace_id, stop=waits)
        assert done.events == 95
        if store.url.startswith("sqlite"):
            # Batches of 10, then 20 (the SQLite cap): 10+20+20+20+20, 5 left. A pause of
            # half its time after every full batch but the last partial one.
            assert updater.max_batch_events == 20
            assert len(waits.waits) == 5 and all(w > 0 for w in waits.waits)
        else:
            # PostgreSQL locks rows, not the store: no pause, batches grow to 100.
            assert updater.max_batch_events == 100
            assert waits.waits == [0.0, 0.0, 0.0]  # 10, 20, 40 full; 25 left
        # The command line's catch-up (no stop event) never pauses and folds as much.
        _backlog(site, 30)
        assert updater.catch_up(site.workspace_id).events == 30
    finally:
        container.close()


def test_stopping_the_worker_ends_a_catch_up_between_batches(store) -> None:  # type: ignore[no-untyped-def]
    container = store.container(profile_batch_events=10, profile_max_batch_events=10)
    try:
        site = Site.create(container)
        _backlog(site, 100)
        first = container.profile_updater.catch_up(site.workspace_id, stop=_Waits(stop_after=2))
        assert first.events == 20  # two batches, then it saw the stop
        rest = container.profile_updater.catch_up(site.workspace_id)
        assert rest.events == 80  # nothing lost, nothing folded twice
    finally:
        container.close()
