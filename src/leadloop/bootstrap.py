"""The one composition root: builds every concrete part from a :class:`Settings`.

Nothing else creates engines or reads settings; entry points call :func:`bootstrap`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from leadloop.config import Settings
from leadloop.connectors.base import Backoff
from leadloop.connectors.credentials import with_secrets_file
from leadloop.connectors.mapping_file import crm_mapping
from leadloop.domain.connectors import CrmConnector
from leadloop.domain.consumption import DepthThresholds
from leadloop.domain.crm_mapping import FieldMapping, StageMap
from leadloop.domain.delivery import RetryPolicy
from leadloop.domain.profile import ProfileConfig
from leadloop.domain.qualification import FactsSource
from leadloop.services.background import WakeSender
from leadloop.services.handoff.config import HandOffConfig, SmtpConfig
from leadloop.services.handoff.wakeup import OUTBOX_BELL
from leadloop.services.handoff.worker import DeliveryWorker
from leadloop.services.inbox_drain import InboxDrainer
from leadloop.services.leads import LeadService
from leadloop.services.profile_facts import SqlProfileFacts
from leadloop.services.profile_worker import ProfileWorker
from leadloop.services.profiling import ProfileUpdater
from leadloop.services.rules import RuleBook
from leadloop.services.sale_content import SaleContentTagger
from leadloop.services.sale_loop import SaleLoop
from leadloop.services.sales_ready import SalesReadyFlow
from leadloop.services.tracking import Limits
from leadloop.services.writer import GroupCommitWriter
from leadloop.store.costs import SqlCostLedger
from leadloop.store.crm import OpportunityHook, SqlCrmStore
from leadloop.store.crm_state import SqlSyncState
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import make_engine
from leadloop.store.inbox import Inbox, InboxEntry, open_inbox
from leadloop.store.ingest import SqlIngestStore, WriteResult, WriteUnit
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
    """Lead facts for the sales-ready rules: the profile store (``SqlProfileFacts``)."""
    rulebook: RuleBook
    lead_store: SqlLeadStore
    leads: LeadService
    crm: SqlCrmStore
    crm_state: SqlSyncState
    sales_ready: SalesReadyFlow
    """Profile change → qualify → hand off; the profile updater's listener."""
    opportunity_hooks: list[OpportunityHook] = field(default_factory=list)
    """``on_opportunity_changed(conn, change)`` callbacks every CRM sync and opportunity
    import runs in its write transaction (the lifecycle and content tagging register here)."""
    profile_config: ProfileConfig = field(default_factory=ProfileConfig)
    _writer: GroupCommitWriter[WriteUnit, WriteResult] | None = field(default=None, repr=False)
    _profile_worker: ProfileWorker | None = field(default=None, repr=False)
    _profile_updater: ProfileUpdater | None = field(default=None, repr=False)
    _wake: WakeSender | None = field(default=None, repr=False)
    _inbox: Inbox | None = field(default=None, repr=False)
    _inbox_writer: GroupCommitWriter[InboxEntry, int] | None = field(default=None, repr=False)
    _drainer: InboxDrainer | None = field(default=None, repr=False)
    _backlog: tuple[float, int] = field(default=(0.0, 0), repr=False)

    @property
    def writer(self) -> GroupCommitWriter[WriteUnit, WriteResult]:
        """The group-commit writer, started on first use."""
        if self._writer is None:
            self._writer = GroupCommitWriter(
                self.ingest_store.write,
                max_pending=self.settings.ingest_queue_batches,
                max_group_messages=self.settings.ingest_group_max_messages,
            )
            self._writer.start()
            mode = self.settings.profile_worker
            if mode == "thread":
                self._writer.add_commit_listener(self.profile_worker.notify)
            elif (wake := self._wake_sender()) is not None:
                self._writer.add_commit_listener(wake.workspaces)
        return self._writer

    def _wake_sender(self) -> WakeSender | None:
        """With a background process: the datagrams that wake it after each commit (this
        process's outbox rings, from admin replays, are forwarded to its delivery worker)."""
        if self.settings.profile_worker != "process" or not self.settings.background_socket:
            return None
        if self._wake is None:
            self._wake = WakeSender(self.settings.background_socket)
            OUTBOX_BELL.add_forwarder(self._wake.outbox)
        return self._wake

    @property
    def uses_inbox(self) -> bool:
        """Whether tracking requests go through the ingest inbox (``LEADLOOP_INGEST_INBOX``)."""
        return self.settings.ingest_inbox

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            self._inbox = open_inbox(
                self.engine, sqlite_synchronous=self.settings.sqlite_synchronous
            )
        return self._inbox

    @property
    def inbox_writer(self) -> GroupCommitWriter[InboxEntry, int]:
        """Group commit of tracking requests into the inbox; wakes the drain after each."""
        if self._inbox_writer is None:
            inbox = self.inbox
            self._inbox_writer = GroupCommitWriter(
                inbox.append,
                max_pending=self.settings.ingest_queue_batches,
                max_group_messages=self.settings.ingest_group_max_messages,
            )
            self._inbox_writer.start()
            wake = self._wake_sender()
            if wake is not None:  # the background process drains
                self._inbox_writer.add_commit_listener(wake.inbox)
            else:  # no background process: a thread of this one drains
                drainer = self.drainer
                if self.settings.profile_worker == "thread":
                    drainer.add_commit_listener(self.profile_worker.notify)
                drainer.start()
                self._inbox_writer.add_commit_listener(drainer.notify)
        return self._inbox_writer

    def inbox_full(self, max_age_s: float = 0.5) -> bool:
        """Whether the inbox holds ``inbox_max_messages`` or more (read at most twice a
        second: back-pressure need not be exact, appends must stay cheap)."""
        read_at, backlog = self._backlog
        now = time.monotonic()
        if now - read_at > max_age_s:
            backlog = self.inbox.backlog()
            self._backlog = (now, backlog)
        return backlog >= self.settings.inbox_max_messages

    @property
    def drainer(self) -> InboxDrainer:
        """The inbox drain (not started: ``start()`` runs it as a thread)."""
        if self._drainer is None:
            self._drainer = InboxDrainer(
                self.inbox,
                self.ingest_store,
                self.limits,
                max_messages=self.settings.inbox_drain_messages,
                poll_seconds=self.settings.inbox_poll_seconds,
            )
        return self._drainer

    @property
    def reps(self) -> SqlReps:
        return SqlReps(self.engine)

    @property
    def costs(self) -> SqlCostLedger:
        """The cost ledger (the numerator of CPOD)."""
        return SqlCostLedger(self.engine)

    @property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.engine)

    @property
    def handoff_config(self) -> HandOffConfig:
        """What ``hand_off`` and the delivery worker need from the settings."""
        return handoff_config(self.settings)

    @property
    def sale_content(self) -> SaleContentTagger:
        """Tags content as part of each sale (run after every sync and import)."""
        s = self.settings
        return SaleContentTagger(
            self.engine,
            s.sale_content_lookback_days,
            batch_size=s.sale_content_batch_size,
            thresholds=self.profile_config.thresholds,
        )

    def delivery_worker(self, name: str | None = None) -> DeliveryWorker:
        return DeliveryWorker(self.engine, self.handoff_config, name=name)

    @property
    def profile_updater(self) -> ProfileUpdater:
        """The one profile updater (its listeners hear about every profiled batch)."""
        if self._profile_updater is None:
            self._profile_updater = ProfileUpdater(
                self.engine,
                self.profile_config,
                batch_events=self.settings.profile_batch_events,
                max_batch_events=self.settings.profile_max_batch_events,
                sqlite_yield=self.settings.profile_sqlite_yield,
                sqlite_max_batch_events=self.settings.profile_sqlite_max_batch_events,
            )
            if self.settings.realtime_qualify:
                self._profile_updater.add_listener(self.sales_ready.on_profiles_changed)
        return self._profile_updater

    @property
    def profile_worker(self) -> ProfileWorker:
        """The server's background profile updater, started on first use."""
        if self._profile_worker is None:
            self._profile_worker = ProfileWorker(
                self.profile_updater, poll_seconds=self.settings.profile_poll_seconds
            )
            self._profile_worker.start()
        return self._profile_worker

    def close(self) -> None:
        if self._inbox_writer is not None:
            self._inbox_writer.stop()
            self._inbox_writer = None
        if self._drainer is not None:
            self._drainer.stop()
            self._drainer = None
        if self._profile_worker is not None:
            self._profile_worker.stop()
            self._profile_worker = None
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._wake is not None:
            OUTBOX_BELL.remove_forwarder(self._wake.outbox)
            self._wake.close()
            self._wake = None
        if self._inbox is not None:
            self._inbox.close()
            self._inbox = None
        self.engine.dispose()


def profile_config(settings: Settings) -> ProfileConfig:
    """The profile definitions as the settings tune them."""
    return ProfileConfig(
        half_life_days=settings.profile_half_life_days,
        stage_share=settings.profile_stage_share,
        grade_weights=tuple(settings.profile_grade_weights),
        signal_boost=settings.profile_signal_boost,
        warm_weight=settings.profile_warm_weight,
        hot_weight=settings.profile_hot_weight,
        hot_window_days=settings.profile_hot_window_days,
        hot_min_grade=settings.profile_hot_min_grade,
        top_interests=settings.profile_top_interests,
        active_days=settings.profile_active_days,
        thresholds=DepthThresholds(
            read_depth_pct=settings.depth_read_pct,
            deep_read_depth_pct=settings.depth_deep_read_pct,
            completed_pct=settings.depth_completed_pct,
            read_seconds=settings.depth_read_seconds,
            deep_read_seconds=settings.depth_deep_read_seconds,
            read_sections=settings.depth_read_sections,
            deep_read_sections=settings.depth_deep_read_sections,
            read_visits=settings.depth_read_visits,
        ),
    )


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    users = UserRepository(engine)
    profiles = profile_config(settings)
    facts = SqlProfileFacts(engine, profiles)
    lead_store = SqlLeadStore(engine)
    rulebook = RuleBook(SqlRuleStore(engine), users, facts)
    flow = SalesReadyFlow(engine, lead_store, rulebook, facts, handoff_config(settings), profiles)
    leads = LeadService(
        lead_store, users, settings.lead_reject_reasons, on_response=[flow.response_hook]
    )
    container = Container(
        settings=settings,
        engine=engine,
        workspaces=WorkspaceRepository(engine),
        ingest_store=SqlIngestStore(engine),
        directory=SqlDirectory(engine),
        crm=SqlCrmStore(engine),
        crm_state=SqlSyncState(engine),
        limits=Limits(
            max_message_bytes=settings.max_message_bytes,
            max_request_bytes=settings.max_request_bytes,
            max_batch_messages=settings.max_batch_messages,
        ),
        users=users,
        facts=facts,
        rulebook=rulebook,
        lead_store=lead_store,
        leads=leads,
        sales_ready=flow,
        profile_config=profiles,
    )
    container.opportunity_hooks.append(
        SaleLoop(lead_store, on_response=[flow.response_hook]).on_opportunity_changed
    )
    return container


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


def crm_connector(settings: Settings, name: str) -> tuple[CrmConnector, FieldMapping, StageMap]:
    """The named CRM connector, signed in, with its field and stage mappings."""
    settings = with_secrets_file(settings)
    mapping, stages = crm_mapping(name, settings.crm_mapping_file, settings.crm_default_currency)
    backoff = Backoff(
        max_retries=settings.crm_max_retries,
        base_seconds=settings.crm_backoff_seconds,
        max_seconds=settings.crm_backoff_max_seconds,
    )
    if name == "salesforce":
        from leadloop.connectors.salesforce import salesforce_connector

        return salesforce_connector(settings, mapping, backoff), mapping, stages
    from leadloop.connectors.hubspot import hubspot_connector

    return hubspot_connector(settings, mapping, backoff), mapping, stages
