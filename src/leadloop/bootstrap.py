"""The one composition root: builds every concrete part from a :class:`Settings`.

Nothing else creates engines or reads settings; entry points call :func:`bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from leadloop.config import Settings
from leadloop.domain.delivery import RetryPolicy
from leadloop.domain.qualification import FactsSource
from leadloop.services.facts_file import MemoryFactsSource
from leadloop.services.handoff.config import HandOffConfig, SmtpConfig
from leadloop.services.handoff.worker import DeliveryWorker
from leadloop.services.leads import LeadService
from leadloop.services.rules import RuleBook
from leadloop.services.tracking import Limits
from leadloop.services.writer import GroupCommitWriter
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import make_engine
from leadloop.store.ingest import SqlIngestStore
from leadloop.store.leads import SqlLeadStore
from leadloop.store.reps import SqlReps
from leadloop.store.rules import SqlRuleStore
from leadloop.store.users import UserRepository
from leadloop.store.webhooks import SqlWebhooks
from leadloop.store.workspaces import WorkspaceRepository


@dataclass
class Container:
    """Everything an entry point needs, wired once."""

    settings: Settings
    engine: Engine
    workspaces: WorkspaceRepository
    ingest_store: SqlIngestStore
    directory: SqlDirectory
    limits: Limits
    users: UserRepository
    facts: FactsSource
    """Lead facts for the sales-ready rules (the profile store once profiling is wired)."""
    rulebook: RuleBook
    lead_store: SqlLeadStore
    leads: LeadService
    _writer: GroupCommitWriter | None = field(default=None, repr=False)

    @property
    def writer(self) -> GroupCommitWriter:
        """The group-commit writer, started on first use."""
        if self._writer is None:
            self._writer = GroupCommitWriter(
                self.ingest_store,
                max_pending=self.settings.ingest_queue_batches,
                max_group_messages=self.settings.ingest_group_max_messages,
            )
            self._writer.start()
        return self._writer

    @property
    def reps(self) -> SqlReps:
        return SqlReps(self.engine)

    @property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.engine)

    @property
    def handoff_config(self) -> HandOffConfig:
        """What ``hand_off`` and the delivery worker need from the settings."""
        return handoff_config(self.settings)

    def delivery_worker(self, name: str | None = None) -> DeliveryWorker:
        return DeliveryWorker(self.engine, self.handoff_config, name=name)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    users = UserRepository(engine)
    facts: FactsSource = MemoryFactsSource()
    lead_store = SqlLeadStore(engine)
    return Container(
        settings=settings,
        engine=engine,
        workspaces=WorkspaceRepository(engine),
        ingest_store=SqlIngestStore(engine),
        directory=SqlDirectory(engine),
        limits=Limits(
            max_message_bytes=settings.max_message_bytes,
            max_request_bytes=settings.max_request_bytes,
            max_batch_messages=settings.max_batch_messages,
        ),
        users=users,
        facts=facts,
        rulebook=RuleBook(SqlRuleStore(engine), users, facts),
        lead_store=lead_store,
        leads=LeadService(lead_store, users, settings.lead_reject_reasons),
    )


def handoff_config(settings: Settings) -> HandOffConfig:
    s = settings
    return HandOffConfig(
        batch_window_s=s.handoff_batch_window_s,
        sla_response_s=s.sla_response_s,
        sla_reassign=s.sla_reassign,
        sla_max_escalations=s.sla_max_escalations,
        lead_url=s.handoff_lead_url,
        retry=RetryPolicy(s.outbox_backoff_base_s, s.outbox_backoff_cap_s, s.outbox_max_attempts),
        lease_s=s.outbox_lease_s,
        poll_s=s.outbox_poll_s,
        sla_check_s=s.sla_check_s,
        webhook_timeout_s=s.webhook_timeout_s,
        smtp=SmtpConfig(
            host=s.smtp_host,
            port=s.smtp_port,
            sender=s.smtp_from,
            tls=s.smtp_tls,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout_s=s.smtp_timeout_s,
        ),
    )
