"""The one composition root: builds every concrete part from a :class:`Settings`.

Nothing else creates engines or reads settings; entry points call :func:`bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from leadloop.config import Settings
from leadloop.domain.consumption import DepthThresholds
from leadloop.domain.profile import ProfileConfig
from leadloop.services.profile_worker import ProfileWorker
from leadloop.services.profiling import ProfileUpdater
from leadloop.services.tracking import Limits
from leadloop.services.writer import GroupCommitWriter
from leadloop.store.directory import SqlDirectory
from leadloop.store.engine import make_engine
from leadloop.store.ingest import SqlIngestStore
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
    profile_config: ProfileConfig = field(default_factory=ProfileConfig)
    _writer: GroupCommitWriter | None = field(default=None, repr=False)
    _profile_worker: ProfileWorker | None = field(default=None, repr=False)
    _profile_updater: ProfileUpdater | None = field(default=None, repr=False)

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
            if self.settings.profile_worker:
                self._writer.add_commit_listener(self.profile_worker.notify)
        return self._writer

    @property
    def profile_updater(self) -> ProfileUpdater:
        """The one profile updater (its listeners hear about every profiled batch)."""
        if self._profile_updater is None:
            self._profile_updater = ProfileUpdater(
                self.engine, self.profile_config, batch_events=self.settings.profile_batch_events
            )
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
        if self._profile_worker is not None:
            self._profile_worker.stop()
            self._profile_worker = None
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
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
        profile_config=profile_config(settings),
    )
