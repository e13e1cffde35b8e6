"""The profile store as the FactsSource: facts now, history for `rules test`, on both stores."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from leadloop.bootstrap import Container
from leadloop.cli.main import app
from leadloop.services.profile_facts import SqlProfileFacts
from leadloop.services.profile_reads import contact_id_for_email, lead_facts
from leadloop.store.engine import utcnow
from profiling_helpers import T0, Site, coverage_map_downloader, msg, video_book_reader

if TYPE_CHECKING:
    from conftest import StoreHandle

RULE = """\
name: Coverage checkers
version: 1
qualify_when:
  all:
    - buying_stage: {at_least: consideration}
    - hot_signal: any
"""


def known(site: Site, user: str, email: str, name: str) -> dict[str, str]:
    who = {"userId": user}
    site.write(msg("identify", T0 - timedelta(days=1), who, traits={"email": email, "name": name}))
    return who


def world(container: Container) -> tuple[Site, int, int]:
    """Ana reads the video book, then checks the coverage map; Bo only reads; a visitor too."""
    site = Site.create(container)
    ana = known(site, "u-ana", "ana@acme-logistics.example", "Ana Silva")
    bo = known(site, "u-bo", "bo@acme-logistics.example", "Bo Berg")
    site.write(*video_book_reader(ana), *coverage_map_downloader(ana, T0 + timedelta(days=10)))
    site.write(*video_book_reader(bo), *coverage_map_downloader({"anonymousId": "v-1"}))
    container.profile_updater.catch_up(site.workspace_id)
    ana_id = contact_of(container, site, "ana@acme-logistics.example")
    bo_id = contact_of(container, site, "bo@acme-logistics.example")
    return site, ana_id, bo_id


def contact_of(container: Container, site: Site, email: str) -> int:
    return contact_id_for_email(container.engine, site.workspace_id, email)


def test_facts_for_equals_lead_facts_and_leaves_out_anonymous_visitors(
    container: Container,
) -> None:
    site, ana, bo = world(container)
    source = SqlProfileFacts(container.engine, container.profile_config)
    now = utcnow()
    got = source.facts_for(site.workspace_id, [bo, ana, ana, 10**9], now)
    assert [f.contact_id for f in got] == [bo, ana]
    cfg = container.profile_config
    assert got == [lead_facts(container.engine, site.workspace_id, c, cfg, now) for c in (bo, ana)]
    assert got[1].hot_signals == ("map-1",) and got[1].buying_stage == "purchase"


def test_history_has_a_snapshot_per_change_and_never_looks_ahead(container: Container) -> None:
    site, ana, bo = world(container)
    history = list(container.facts.history(site.workspace_id))
    assert {f.contact_id for f in history} == {ana, bo}
    anas = [f for f in history if f.contact_id == ana]
    assert [f.as_of for f in anas] == sorted(f.as_of for f in anas) and len(anas) == 2
    assert anas[0].hot_signals == () and anas[1].hot_signals == ("map-1",)
    assert all(e.at <= f.as_of for f in history for e in f.engagements)
    cut = list(container.facts.history(site.workspace_id, until=anas[0].as_of))
    assert all(f.as_of <= anas[0].as_of for f in cut) and len(cut) == len(history) - 1


def test_rules_test_replays_the_real_store_without_a_facts_file(
    store: StoreHandle, container: Container, tmp_path: Path
) -> None:
    site, ana, _bo = world(container)
    report = container.rulebook.test(site.workspace_id, RULE)
    assert [r.contact_id for r in report.newly] == [ana]
    assert report.leads == 2 and report.snapshots == 3 and report.active_total == 0
    first = report.newly[0].candidate
    assert first is not None and first.as_of == T0 + timedelta(days=10, minutes=2)
    slug = next(s for i, s, *_ in container.workspaces.list_workspaces() if i == site.workspace_id)
    rule = tmp_path / "rule.yaml"
    rule.write_text(RULE)
    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["rules", "test", str(rule), "-w", slug, "--database-url", store.url]
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert f"│ {ana} │ newly qualifying │" in out and "2 leads, 3 fact snapshots replayed" in out
    assert "1 would qualify under the draft, 0 under no active version (+1)" in out


def test_a_leads_first_touch_is_its_first_consumption_not_its_import(
    container: Container,
) -> None:
    site, ana, _bo = world(container)  # the contact rows were created now, the reading in March
    first = container.leads.show(site.workspace_id, ana).history[0]
    assert (first.to_state, first.reason, first.at) == ("known", "first touch", T0)
