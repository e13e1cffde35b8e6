"""Bodies of the rules, users and leads endpoints as the OpenAPI document shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from leadloop.domain.lifecycle import Transition
from leadloop.domain.lifecycle_measures import PeriodFigure
from leadloop.domain.qualification import Qualification
from leadloop.services.funnel import FunnelReport
from leadloop.services.leads import LeadView
from leadloop.services.replay import ReplayReport, ReplayRow
from leadloop.store.leads import LeadState, QualificationRecord
from leadloop.store.rules import RuleVersionRecord
from leadloop.store.users import User

Email = Field(description="E-mail of the Leadloop user acting (see `leadloop user add`).")


class UserCreate(BaseModel):
    email: str = Field(description="The user's e-mail (their login name).")
    role: Literal["marketing", "sales", "admin"]
    name: str | None = None


class UserPublic(BaseModel):
    id: int
    email: str
    name: str | None
    role: str

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(id=user.id, email=user.email, name=user.name, role=user.role)


class UsersPublic(BaseModel):
    users: list[UserPublic]


class RuleUpload(BaseModel):
    """A rule file to store as a draft version."""

    yaml: str = Field(description="The rule file's YAML text (docs/lifecycle.md).")
    user: str = Email
    source: str = Field(default="rules.yaml", description="File name used in error messages.")


class RuleApprove(BaseModel):
    user: str = Email
    role: Literal["marketing", "sales"] | None = Field(
        default=None, description="Side an admin signs for; others sign for their own role."
    )


class RuleTest(BaseModel):
    yaml: str = Field(description="The draft's YAML text; nothing is stored.")
    source: str = "rules.yaml"


class ApprovalPublic(BaseModel):
    role: str
    user: str
    approved_at: datetime
    sha256: str


class RuleVersionPublic(BaseModel):
    """One version of the sales-ready agreement and who signed it."""

    version: int
    name: str
    status: Literal["draft", "active", "superseded"]
    sha256: str
    yaml: str
    uploaded_by: str
    uploaded_at: datetime
    activated_at: datetime | None
    superseded_at: datetime | None
    approvals: list[ApprovalPublic]

    @classmethod
    def of(cls, r: RuleVersionRecord) -> RuleVersionPublic:
        return cls(
            version=r.version,
            name=r.name,
            status=r.status,  # type: ignore[arg-type]
            sha256=r.sha256,
            yaml=r.yaml_text,
            uploaded_by=r.uploaded_by,
            uploaded_at=r.uploaded_at,
            activated_at=r.activated_at,
            superseded_at=r.superseded_at,
            approvals=[
                ApprovalPublic(
                    role=a.role, user=a.email, approved_at=a.approved_at, sha256=a.sha256
                )
                for a in r.approvals
            ],
        )


class RuleUploaded(BaseModel):
    version: RuleVersionPublic
    created: bool = Field(description="False when this exact text was already stored.")


class RuleApproved(BaseModel):
    version: RuleVersionPublic
    recorded: bool = Field(description="False when this approval was already recorded.")
    activated: bool = Field(description="True when this approval made the version active.")


class RuleVersionsPublic(BaseModel):
    versions: list[RuleVersionPublic]
    active_version: int | None


class QualificationPublic(BaseModel):
    contact_id: int
    rule_version: int
    qualified: bool
    score: float
    as_of: datetime
    reasons: list[str] = Field(description="One sentence per reason.")

    @classmethod
    def of(cls, q: Qualification) -> QualificationPublic:
        return cls(
            contact_id=q.contact_id,
            rule_version=q.rule_version,
            qualified=q.qualified,
            score=q.score,
            as_of=q.as_of,
            reasons=list(q.reasons),
        )


class ReplayRowPublic(BaseModel):
    contact_id: int
    candidate: QualificationPublic | None
    active: QualificationPublic | None

    @classmethod
    def of(cls, row: ReplayRow) -> ReplayRowPublic:
        return cls(
            contact_id=row.contact_id,
            candidate=None if row.candidate is None else QualificationPublic.of(row.candidate),
            active=None if row.active is None else QualificationPublic.of(row.active),
        )


class ReplayPublic(BaseModel):
    """Who would qualify under the draft, compared with the active version."""

    candidate_version: int
    active_version: int | None
    leads: int
    snapshots: int
    candidate_total: int
    active_total: int
    delta: int = Field(description="More (positive) or fewer leads qualifying under the draft.")
    newly: list[ReplayRowPublic]
    no_longer: list[ReplayRowPublic]
    both: list[ReplayRowPublic]

    @classmethod
    def of(cls, r: ReplayReport) -> ReplayPublic:
        return cls(
            candidate_version=r.candidate_version,
            active_version=r.active_version,
            leads=r.leads,
            snapshots=r.snapshots,
            candidate_total=r.candidate_total,
            active_total=r.active_total,
            delta=r.delta,
            newly=[ReplayRowPublic.of(x) for x in r.newly],
            no_longer=[ReplayRowPublic.of(x) for x in r.no_longer],
            both=[ReplayRowPublic.of(x) for x in r.both],
        )


class LeadActionBody(BaseModel):
    user: str = Email
    reason: str | None = Field(
        default=None,
        description="Why; for reject it must be one of the configured reasons "
        "(`LEADLOOP_LEAD_REJECT_REASONS`).",
    )


class TransitionPublic(BaseModel):
    from_state: str | None
    to_state: str
    at: datetime
    cycle: int
    actor_kind: Literal["rule", "user", "crm", "system"]
    actor_id: str | None
    reason: str | None
    rule_version: int | None

    @classmethod
    def of(cls, t: Transition) -> TransitionPublic:
        return cls(
            from_state=t.from_state,
            to_state=t.to_state,
            at=t.at,
            cycle=t.cycle,
            actor_kind=t.actor.kind,  # type: ignore[arg-type]
            actor_id=t.actor.id,
            reason=t.reason,
            rule_version=t.rule_version,
        )


class StoredQualificationPublic(BaseModel):
    cycle: int
    rule_version: int
    score: float
    as_of: datetime
    qualified_at: datetime
    reasons: list[str]

    @classmethod
    def of(cls, q: QualificationRecord) -> StoredQualificationPublic:
        return cls(
            cycle=q.cycle,
            rule_version=q.rule_version,
            score=q.score,
            as_of=q.as_of,
            qualified_at=q.qualified_at,
            reasons=list(q.reasons),
        )


class LeadPublic(BaseModel):
    """A lead's lifecycle: where it is, its whole history and why it qualified."""

    id: int
    state: str
    cycle: int
    since: datetime
    history: list[TransitionPublic]
    qualifications: list[StoredQualificationPublic]

    @classmethod
    def of(cls, v: LeadView) -> LeadPublic:
        return cls(
            id=v.contact_id,
            state=v.state,
            cycle=v.cycle,
            since=v.since,
            history=[TransitionPublic.of(t) for t in v.history],
            qualifications=[StoredQualificationPublic.of(q) for q in v.qualifications],
        )


class LeadActionResult(BaseModel):
    lead: LeadPublic
    changed: bool = Field(description="False when the lead was already there (idempotent).")


class LeadStatePublic(BaseModel):
    id: int
    state: str
    cycle: int
    since: datetime

    @classmethod
    def of(cls, s: LeadState) -> LeadStatePublic:
        return cls(id=s.contact_id, state=s.state, cycle=s.cycle, since=s.since)


class LeadsPublic(BaseModel):
    leads: list[LeadStatePublic]


class ConversionPublic(BaseModel):
    period: str
    from_state: str
    to_state: str
    entered: int
    converted: int
    rate: float | None


class PeriodFigurePublic(BaseModel):
    period: str = Field(description="Month (2026-03), quarter (2026-Q1) or, for time in stage, "
                        "the state.")  # fmt: skip
    count: int
    mean_days: float
    median_days: float


class FunnelPublic(BaseModel):
    """Conversion between stages, nurture period and time in stage, from the stored history."""

    period: Literal["month", "quarter"]
    conversion: list[ConversionPublic]
    nurture_period: list[PeriodFigurePublic]
    time_in_stage: list[PeriodFigurePublic]

    @classmethod
    def of(cls, r: FunnelReport) -> FunnelPublic:
        return cls(
            period=r.period,  # type: ignore[arg-type]
            conversion=[
                ConversionPublic(
                    period=c.period,
                    from_state=c.from_state,
                    to_state=c.to_state,
                    entered=c.entered,
                    converted=c.converted,
                    rate=c.rate,
                )
                for c in r.conversion
            ],
            nurture_period=[_figure(f) for f in r.nurture],
            time_in_stage=[_figure(f) for f in r.time_in_stage.values()],
        )


def _figure(f: PeriodFigure) -> PeriodFigurePublic:
    return PeriodFigurePublic(
        period=f.period, count=f.count, mean_days=f.mean_days, median_days=f.median_days
    )
