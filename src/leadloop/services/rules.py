"""Use cases of the sales-ready agreement: upload, approve, read, and replay a draft.

A version is uploaded as YAML text by a known user, validated with line-precise errors,
and stored as a draft; it becomes active once marketing and sales have both approved it
(:mod:`leadloop.domain.approval`). ``test`` replays the recorded facts under a draft and
under the active version, before anyone signs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from leadloop.domain.approval import approval_role
from leadloop.domain.qualification import FactsSource
from leadloop.domain.rules import RuleSet
from leadloop.errors import NotFoundError
from leadloop.services.replay import ReplayReport, replay
from leadloop.services.rule_files import load_rules, text_hash
from leadloop.store.rules import ApprovalResult, RuleVersionRecord, SqlRuleStore
from leadloop.store.users import UserRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UploadResult:
    record: RuleVersionRecord
    created: bool


class RuleBook:
    """The workspace's sales-ready agreement: every version, and the one in force."""

    def __init__(self, store: SqlRuleStore, users: UserRepository, facts: FactsSource) -> None:
        self.store = store
        self.users = users
        self.facts = facts
        self._parsed: dict[str, RuleSet] = {}  # by text hash: versions never change

    def upload(
        self, workspace_id: int, text: str, user_email: str, source: str = "rules.yaml"
    ) -> UploadResult:
        """Validate and store a version as a draft (the same text again is a no-op)."""
        rules = load_rules(text, source)
        user = self.users.by_email(workspace_id, user_email)
        record, created = self.store.insert(
            workspace_id, rules.version, rules.name, text, text_hash(text), user
        )
        logger.info(
            "rules.uploaded",
            extra={"fields": {"version": rules.version, "created": created, "user_id": user.id}},
        )
        return UploadResult(record, created)

    def approve(
        self, workspace_id: int, version: int, user_email: str, as_role: str | None = None
    ) -> ApprovalResult:
        """Sign ``version`` for the user's side; both sides signed → it becomes active."""
        user = self.users.by_email(workspace_id, user_email)
        role = approval_role(user.email, user.role, as_role)
        result = self.store.approve(workspace_id, version, user, role)
        logger.info(
            "rules.approved",
            extra={
                "fields": {
                    "version": version,
                    "role": role,
                    "recorded": result.recorded,
                    "activated": result.activated,
                }
            },
        )
        return result

    def show(self, workspace_id: int, version: int | None = None) -> RuleVersionRecord:
        """One version, or the active one when ``version`` is None."""
        if version is not None:
            return self.store.get(workspace_id, version)
        active = self.store.active(workspace_id)
        if active is None:
            raise NotFoundError(_NO_ACTIVE)
        return active

    def list(self, workspace_id: int) -> list[RuleVersionRecord]:
        return self.store.list(workspace_id)

    def active_rules(self, workspace_id: int) -> RuleSet:
        """The rule set in force (what qualification evaluates), parsed once per version."""
        record = self.show(workspace_id)
        if record.sha256 not in self._parsed:
            self._parsed[record.sha256] = load_rules(record.yaml_text, f"version {record.version}")
        return self._parsed[record.sha256]

    def test(self, workspace_id: int, text: str, source: str = "rules.yaml") -> ReplayReport:
        """Replay the recorded facts under a draft and under the active version."""
        candidate = load_rules(text, source)
        active = self.store.active(workspace_id)
        current = None if active is None else load_rules(active.yaml_text, "active rules")
        return replay(candidate, current, self.facts.history(workspace_id))


_NO_ACTIVE = (
    "no sales-ready rule is active yet: upload one with `leadloop rules upload FILE --as EMAIL`, "
    "then have one marketing and one sales user run `leadloop rules approve VERSION --as EMAIL`"
)
