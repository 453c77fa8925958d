"""Keeping the read model (models/projection.py) equal to the history.

* ``refresh_items`` recomputes the ``item_period`` rows of the given items from their
  history (services/history.py) and moves the roll-ups by the difference. Every operation
  that writes history calls it (through ``touch`` and the commit hook) before the request
  commits, so the read model changes in the same transaction as the record; a write that
  knows the earliest data date it concerns recomputes only the periods from there on.
* ``ensure_periods`` adds the rows of a period the calendar has entered since the last
  write (the state carries over; nothing is reported yet), once, whichever worker first
  notices; a different period setting rebuilds everything.
* ``rebuild`` recomputes everything from the history; ``check`` recomputes and lists
  every difference (the tests and ``flask projections check`` use it).

The modules, one concept each: ``histories`` (loading histories), ``rows`` (an item's rows
and their roll-up terms), ``keep`` (keeping them current), ``rebuild`` (rebuilding and
checking). Callers import this package (``from tracker.services import projections``).
"""

from __future__ import annotations

from .histories import load_histories
from .keep import PENDING_KEY, ensure_current, ensure_periods, refresh_items, sync, touch
from .rebuild import Difference, check, rebuild, rollup_select
from .rows import BATCH, STATE_KEY, calendar, compute_rows, due_soon_days, rows_from, setting_key

__all__ = [
    "BATCH",
    "PENDING_KEY",
    "STATE_KEY",
    "Difference",
    "calendar",
    "check",
    "compute_rows",
    "due_soon_days",
    "ensure_current",
    "ensure_periods",
    "load_histories",
    "rebuild",
    "refresh_items",
    "rollup_select",
    "rows_from",
    "setting_key",
    "sync",
    "touch",
]
