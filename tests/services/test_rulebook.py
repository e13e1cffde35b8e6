"""The sales-ready agreement's versions: upload, the two-sided approval, replay of a draft."""

from __future__ import annotations

import pytest

from leadloop.bootstrap import Container
from leadloop.domain.facts import LeadFacts
from leadloop.errors import ConflictError, NotFoundError, RuleError, ValidationError
from leadloop.services.facts_file import MemoryFactsSource
from leadloop.services.rule_files import text_hash
from leadloop.services.rules import RuleBook
from leadloop.store.rules import SqlRuleStore
from lifecycle_helpers import RULES_V1, RULES_V2, T0, activate, add_team

MIA, SAM, ADA = "mia@seller.example", "sam@seller.example", "ada@seller.example"


@pytest.fixture
def ws(container: Container) -> int:
    ws = container.workspaces.create_workspace("seller")
    add_team(container, ws)
    return ws


def test_upload_stores_a_draft_with_its_hash_and_uploader(container: Container, ws: int) -> None:
    result = container.rulebook.upload(ws, RULES_V1, MIA)
    assert result.created
    record = result.record
    assert (record.version, record.status, record.uploaded_by) == (1, "draft", MIA)
    assert record.sha256 == text_hash(RULES_V1) and record.yaml_text == RULES_V1
    again = container.rulebook.upload(ws, RULES_V1, SAM)
    assert not again.created and again.record.id == record.id
    with pytest.raises(ConflictError, match="version 1 already exists with different content"):
        container.rulebook.upload(ws, RULES_V1.replace("IT Manager", "CIO"), MIA)
    assert [r.version for r in container.rulebook.list(ws)] == [1]


def test_an_invalid_file_is_refused_with_its_line_and_nothing_is_stored(
    container: Container, ws: int
) -> None:
    bad = RULES_V1.replace("at_least: consideration", "at_least: considerate")
    with pytest.raises(RuleError, match=r"^team.yaml:5: qualify_when.all\[0\].buying_stage"):
        container.rulebook.upload(ws, bad, MIA, source="team.yaml")
    assert container.rulebook.list(ws) == []


def test_an_unknown_uploader_is_told_how_to_add_themselves(container: Container, ws: int) -> None:
    with pytest.raises(NotFoundError, match=r"leadloop user add bob@x\.example"):
        container.rulebook.upload(ws, RULES_V1, "bob@x.example")


def test_marketing_alone_does_not_activate_marketing_and_sales_do(
    container: Container, ws: int
) -> None:
    book = container.rulebook
    book.upload(ws, RULES_V1, MIA)
    first = book.approve(ws, 1, MIA)
    assert first.recorded and not first.activated and first.record.status == "draft"
    with pytest.raises(NotFoundError, match="no sales-ready rule is active yet"):
        book.active_rules(ws)
    repeat = book.approve(ws, 1, MIA)  # idempotent: same person, same hash
    assert not repeat.recorded and repeat.record.status == "draft"
    second = book.approve(ws, 1, SAM)
    assert second.recorded and second.activated and second.record.status == "active"
    assert [(a.role, a.email) for a in second.record.approvals] == [
        ("marketing", MIA),
        ("sales", SAM),
    ]
    assert all(a.sha256 == text_hash(RULES_V1) for a in second.record.approvals)
    assert book.active_rules(ws).version == 1
    assert not book.approve(ws, 1, SAM).recorded


def test_the_same_person_cannot_approve_for_both_sides(container: Container, ws: int) -> None:
    book = container.rulebook
    book.upload(ws, RULES_V1, MIA)
    with pytest.raises(ValidationError, match="admin: say which side"):
        book.approve(ws, 1, ADA)
    book.approve(ws, 1, ADA, as_role="marketing")
    with pytest.raises(ConflictError, match="same person cannot approve for both"):
        book.approve(ws, 1, ADA, as_role="sales")
    with pytest.raises(ValidationError, match="has the marketing role and cannot approve as sales"):
        book.approve(ws, 1, MIA, as_role="sales")
    assert book.show(ws, 1).status == "draft"


def test_a_new_active_version_supersedes_the_old_which_stays_readable(
    container: Container, ws: int
) -> None:
    activate(container, ws, RULES_V1)
    activate(container, ws, RULES_V2)
    book = container.rulebook
    old, new = book.show(ws, 1), book.show(ws, 2)
    assert (old.status, new.status) == ("superseded", "active")
    assert old.superseded_at is not None and old.yaml_text == RULES_V1
    assert book.show(ws).version == 2
    with pytest.raises(NotFoundError, match="rule version 9 does not exist"):
        book.show(ws, 9)


def snapshot(contact: int, day: int, **kw: object) -> LeadFacts:
    from datetime import timedelta

    base: dict[str, object] = {
        "engagement_level": "hot",
        "persona": "IT Manager",
        "buying_stage": "consideration",
    }
    base.update(kw)
    return LeadFacts(contact_id=contact, as_of=T0 + timedelta(days=day), **base)  # type: ignore[arg-type]


def test_replay_shows_who_would_qualify_before_anyone_approves(
    container: Container, ws: int
) -> None:
    history = [
        # 1: interest then consideration → qualifies under both versions.
        snapshot(1, 0, buying_stage="interest"),
        snapshot(1, 5),
        # 2: only ever at interest → only the draft (v2 asks interest or later) lets it in.
        snapshot(2, 3, buying_stage="interest"),
        # 3: a competitor at consideration → v1 lets it in, the draft keeps it out.
        snapshot(3, 1, segment="competitor"),
        # 4: cold and no hot signal → neither.
        snapshot(4, 2, engagement_level="cold"),
    ]
    book = RuleBook(SqlRuleStore(container.engine), container.users, MemoryFactsSource(history))
    activate(container, ws, RULES_V1)
    report = book.test(ws, RULES_V2)
    assert (report.candidate_version, report.active_version) == (2, 1)
    assert (report.leads, report.snapshots) == (4, 5)
    assert [r.contact_id for r in report.newly] == [2]
    assert [r.contact_id for r in report.no_longer] == [3]
    assert [r.contact_id for r in report.both] == [1]
    assert (report.candidate_total, report.active_total, report.delta) == (2, 2, 0)
    first_q = report.both[0].candidate
    assert first_q is not None and first_q.as_of == T0  # v2 already took the interest snapshot
    assert "Buying stage is interest, at or past interest." in first_q.reasons
    kept_out = report.no_longer[0].active
    assert (
        kept_out is not None
        and "Persona is IT Manager, one of Function Head, IT Manager." in kept_out.reasons
    )
    assert book.show(ws, 1).status == "active"  # testing changes nothing
    assert [r.version for r in book.list(ws)] == [1]


def test_replay_without_an_active_version_counts_everyone_as_new(
    container: Container, ws: int
) -> None:
    book = RuleBook(
        SqlRuleStore(container.engine), container.users, MemoryFactsSource([snapshot(1, 0)])
    )
    report = book.test(ws, RULES_V1)
    assert report.active_version is None
    assert [r.contact_id for r in report.newly] == [1] and report.delta == 1
