"""A workspace at a glance: stage distribution, top interests per persona, hottest accounts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from leadloop.domain.consumption import epoch_ms
from leadloop.domain.profile import ProfileConfig, engagement_level
from leadloop.services.profile_reads import stored_total
from leadloop.store.profile_reads import account_names, overview_rows


@dataclass(frozen=True, slots=True)
class HotAccount:
    account_id: int
    name: str
    total_weight: float
    contacts: int
    hot_contacts: int


@dataclass(frozen=True, slots=True)
class Overview:
    stages: dict[str, int]
    levels: dict[str, int]
    interests_by_persona: dict[str, list[tuple[str, int]]]
    hottest_accounts: list[HotAccount]


def overview(
    engine: Engine, workspace_id: int, cfg: ProfileConfig, as_of: datetime, top: int = 5
) -> Overview:
    """Counts over the stored profile rows, weights decayed to ``as_of``."""
    at = epoch_ms(as_of)
    with engine.connect() as conn:
        rows = overview_rows(conn, workspace_id)
    stages = Counter(r.buying_stage or "none yet" for r in rows)
    levels: Counter[str] = Counter()
    interests: dict[str, Counter[str]] = {}
    weight: dict[int, float] = {}
    members: Counter[int] = Counter()
    hot: Counter[int] = Counter()
    for r in rows:
        total = stored_total(r.weight_log2, at, cfg)
        level = engagement_level(total, r.last_hot_at_ms, at, cfg)
        levels[level] += 1
        if r.top_interest:
            interests.setdefault(r.persona or "unknown", Counter())[r.top_interest] += 1
        if r.account_id is not None:
            weight[r.account_id] = weight.get(r.account_id, 0.0) + total
            members[r.account_id] += 1
            hot[r.account_id] += int(level == "hot")
    best = [a for a, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    with engine.connect() as conn:
        names = account_names(conn, workspace_id, best)
    return Overview(
        stages=dict(stages.most_common()),
        levels=dict(levels.most_common()),
        interests_by_persona={p: c.most_common(3) for p, c in sorted(interests.items())},
        hottest_accounts=[
            HotAccount(a, names.get(a, str(a)), weight[a], members[a], hot[a]) for a in best
        ],
    )
