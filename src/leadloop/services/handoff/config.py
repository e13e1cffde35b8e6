"""The hand-off and delivery settings the services need, without the whole ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadloop.domain.delivery import RetryPolicy


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where hand-off e-mails go out; ``host`` None means no e-mail channel."""

    host: str | None = None
    port: int = 25
    sender: str = "leadloop@localhost"
    tls: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class HandOffConfig:
    """Batching, service-level and delivery settings (built from ``Settings`` by bootstrap)."""

    batch_window_s: float = 0.0
    sla_response_s: float = 4 * 3600.0
    sla_reassign: bool = False
    sla_max_escalations: int = 1
    lead_url: str = "http://127.0.0.1:8000/dashboard/leads/{contact_id}"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_s: float = 60.0
    poll_s: float = 0.2
    sla_check_s: float = 1.0
    webhook_timeout_s: float = 10.0
    smtp: SmtpConfig = field(default_factory=SmtpConfig)

    @property
    def email_enabled(self) -> bool:
        return self.smtp.host is not None

    @property
    def escalation_limit(self) -> int:
        """Without reassignment the clock is not restarted, so escalate once only."""
        return self.sla_max_escalations if self.sla_reassign else 1

    @property
    def claim_batch(self) -> int:
        """Rows one claim leases: all of them must finish well inside the lease."""
        slowest = max(self.webhook_timeout_s, self.smtp.timeout_s, 0.1)
        return max(1, int(self.lease_s // (2 * slowest)))
