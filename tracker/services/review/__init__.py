"""Review operations: approve or return status updates (核定 / 退回), tracking decisions
(列管決定) and adoption decisions (採行情形), plus the review queue read.

Operations flush but never commit; the request or CLI command commits once. Each one
bumps the touched item's version atomically and writes an audit row.

The modules, one concept each: ``common`` (the review day, dates in messages, the version
bump), ``reviews`` (approving and returning reports), ``decisions`` (tracking, departments,
adoption), ``queue`` (the review queue). Callers import this package
(``from tracker.services import review``).
"""

from __future__ import annotations

from .common import local_midnight_utc, today
from .decisions import confirm_departments, latest_adoptions, record_adoption, record_decision
from .queue import (
    QUEUE_PAGE,
    QueueEntry,
    QueueGroup,
    QueuePage,
    get_update,
    pending_count,
    pending_updates_query,
    review_queue,
)
from .reviews import BatchResult, approve_many, approve_update, return_many, return_update

__all__ = [
    "QUEUE_PAGE",
    "BatchResult",
    "QueueEntry",
    "QueueGroup",
    "QueuePage",
    "approve_many",
    "approve_update",
    "confirm_departments",
    "get_update",
    "latest_adoptions",
    "local_midnight_utc",
    "pending_count",
    "pending_updates_query",
    "record_adoption",
    "record_decision",
    "return_many",
    "return_update",
    "review_queue",
    "today",
]
