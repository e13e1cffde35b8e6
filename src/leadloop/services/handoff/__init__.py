"""Real-time hand-off to sales: assignment, the outbox, delivery and service levels.

``hand_off`` and ``mark_responded`` run inside the caller's transaction (the lifecycle's
qualification and accept/reject); :class:`DeliveryWorker` drains the outbox.
"""

from leadloop.services.handoff.config import HandOffConfig
from leadloop.services.handoff.service import hand_off, mark_responded

__all__ = ["HandOffConfig", "hand_off", "mark_responded"]
