"""Response bodies of the profile routes (kept apart from schemas.py, which tracking owns)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadloop.domain.consumption import from_ms
from leadloop.domain.profile import Evidence, Profile
from leadloop.services.profile_reads import AccountProfile, ContactProfile, ProfileSummary


class WeightedAsset(BaseModel):
    asset_id: str
    weight: float = Field(description="Decayed weight this asset contributed.")


class InferencePublic(BaseModel):
    """Why an inferred value is what it is: a sentence for a rep and the data behind it."""

    name: str = Field(description="engagement_level, buying_stage, interests, persona, ...")
    value: str | None
    sentence: str
    evidence: list[WeightedAsset]


class EvidencePublic(BaseModel):
    """One graded engagement: an asset one person consumed, several visits added up."""

    asset_id: str
    title: str
    format: str
    buying_stage: str
    topics: list[str]
    personas: list[str]
    segments: list[str]
    signal: float | None
    grade: str = Field(description="glance, read, deep_read, completed or downloaded.")
    base_weight: float = Field(description="Grade weight x (1 + boost x signal), undecayed.")
    weight: float = Field(description="Decayed to the profile's as-of time.")
    first_at: datetime
    at: datetime = Field(description="Last event about the asset (recency counts from here).")
    events: int
    visits: int
    depth: float = Field(description="Furthest read depth / video or webinar percent.")
    active_seconds: float
    sections: list[str]
    sections_total: int
    downloads: int
    first_event_id: int
    last_event_id: int
    contact_id: int | None = Field(default=None, description="Whose engagement (accounts).")
    sentence: str


class StageWeight(BaseModel):
    stage: str
    weight: float


class TopicWeight(BaseModel):
    topic: str
    weight: float


class ProfileBody(BaseModel):
    """The inferred values, each explained in ``explanations``."""

    as_of: datetime
    buying_stage: str | None
    stage_weights: list[StageWeight]
    interests: list[TopicWeight]
    persona: str | None
    persona_source: str | None = Field(description="crm (assigned, wins) or content (inferred).")
    segment: str | None
    engagement_level: str = Field(description="cold, warm or hot.")
    total_weight: float
    hot_signals: list[str] = Field(description="Hot assets consumed, latest first.")
    last_hot_at: datetime | None
    explanations: list[InferencePublic]
    evidence: list[EvidencePublic] = Field(description="Every engagement, heaviest first.")
    untagged_assets: list[str] = Field(description="Consumed assets not tagged in the catalog.")


class ProfilePublic(ProfileBody):
    """A contact's (or anonymous visitor's) profile."""

    contact_id: int
    status: str
    email: str | None
    name: str | None
    account_id: int | None
    identities: int


class MemberPublic(BaseModel):
    contact_id: int
    email: str | None
    name: str | None
    engagement_level: str
    buying_stage: str | None
    total_weight: float


class AccountProfilePublic(ProfileBody):
    """An account's buying group: every member's engagements together."""

    account_id: int
    name: str | None
    domain: str | None
    active_contacts: int
    members: list[MemberPublic]


class ProfileSummaryPublic(BaseModel):
    contact_id: int
    email: str | None
    name: str | None
    status: str
    account_id: int | None
    buying_stage: str | None
    persona: str | None
    segment: str | None
    interests: list[str]
    engagement_level: str
    total_weight: float
    last_hot_at: datetime | None


class ProfilesPublic(BaseModel):
    data: list[ProfileSummaryPublic]
    count: int = Field(description="Profiles matching the filters in all.")
    limit: int
    offset: int
    as_of: datetime


def _evidence(e: Evidence) -> EvidencePublic:
    s, i = e.state, e.item
    return EvidencePublic(
        asset_id=e.asset_id, title=i.title, format=i.format, buying_stage=i.buying_stage,
        topics=list(i.topics), personas=list(i.personas), segments=list(i.segments),
        signal=i.signal, grade=e.grade, base_weight=e.base_weight, weight=e.weight,
        first_at=from_ms(s.first_at_ms), at=e.at, events=s.events, visits=s.visits,
        depth=s.depth, active_seconds=s.active_seconds, sections=sorted(s.sections),
        sections_total=s.sections_total, downloads=s.downloads,
        first_event_id=s.first_event_id, last_event_id=s.last_event_id,
        contact_id=e.contact_id, sentence=e.sentence,
    )  # fmt: skip


def profile_fields(p: Profile) -> dict[str, object]:
    return {
        "as_of": p.as_of,
        "buying_stage": p.buying_stage,
        "stage_weights": [StageWeight(stage=s, weight=w) for s, w in p.stage_weights],
        "interests": [TopicWeight(topic=t, weight=w) for t, w in p.interests],
        "persona": p.persona,
        "persona_source": p.persona_source,
        "segment": p.segment,
        "engagement_level": p.engagement_level,
        "total_weight": p.total_weight,
        "hot_signals": list(p.hot_signals),
        "last_hot_at": p.last_hot_at,
        "explanations": [
            InferencePublic(
                name=x.name,
                value=x.value,
                sentence=x.sentence,
                evidence=[WeightedAsset(asset_id=a, weight=w) for a, w in x.evidence],
            )
            for x in p.explanations
        ],
        "evidence": [_evidence(e) for e in p.evidence],
        "untagged_assets": list(p.untagged_assets),
    }


def contact_public(cp: ContactProfile) -> ProfilePublic:
    c = cp.contact
    return ProfilePublic(
        contact_id=c.id, status=c.status, email=c.email, name=c.name, account_id=c.account_id,
        identities=cp.identities, **profile_fields(cp.profile),  # type: ignore[arg-type]
    )  # fmt: skip


def account_public(ap: AccountProfile) -> AccountProfilePublic:
    a = ap.account
    members = [
        MemberPublic(
            contact_id=m.contact.id,
            email=m.contact.email,
            name=m.contact.name,
            engagement_level=m.engagement_level,
            buying_stage=m.buying_stage,
            total_weight=m.total_weight,
        )
        for m in ap.members
    ]
    return AccountProfilePublic(
        account_id=a.id, name=a.name, domain=a.domain, active_contacts=ap.active_contacts,
        members=members, **profile_fields(ap.profile),  # type: ignore[arg-type]
    )  # fmt: skip


def summary_public(s: ProfileSummary) -> ProfileSummaryPublic:
    c = s.listed.contact
    hot = s.listed.last_hot_at_ms
    return ProfileSummaryPublic(
        contact_id=c.id, email=c.email, name=c.name, status=c.status, account_id=c.account_id,
        buying_stage=s.listed.buying_stage, persona=s.persona, segment=s.listed.segment,
        interests=list(s.listed.interests), engagement_level=s.engagement_level,
        total_weight=s.total_weight, last_hot_at=None if hot is None else from_ms(hot),
    )  # fmt: skip
