"""What one load of the seed did: rows per kind, and whether each was created, updated or unchanged."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["KINDS", "SeedStats"]

KINDS = (
    ("department", "department", "departments"),
    ("report", "report", "reports"),
    ("recommendation", "recommendation", "recommendations"),
    ("practice", "practice", "practices"),
    ("figure", "figure", "figures"),
    ("indicator", "indicator", "indicators"),
    ("action_item", "action item", "action items"),
    ("adoption_decision", "adoption decision", "adoption decisions"),
)


@dataclass
class SeedStats:
    """What one load did: rows per kind and whether each was created, updated or unchanged."""

    counts: Counter = field(default_factory=Counter)
    reports: list[str] = field(default_factory=list)

    def note(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    def total(self, kind: str) -> int:
        return sum(n for (k, _), n in self.counts.items() if k == kind)

    def outcome(self, outcome: str) -> int:
        return sum(n for (_, o), n in self.counts.items() if o == outcome)

    def describe(self) -> str:
        parts = [
            f"{self.total(kind)} {one if self.total(kind) == 1 else many}"
            for kind, one, many in KINDS
            if self.total(kind) or kind != "adoption_decision"
        ]
        reports = f" ({', '.join(self.reports)})" if self.reports else ""
        return (
            f"Seed data{reports}: "
            + ", ".join(parts)
            + f" — {self.outcome('created')} created, {self.outcome('updated')} updated,"
            f" {self.outcome('unchanged')} unchanged."
        )
