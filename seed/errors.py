"""What is wrong with the seed data: one problem per file and line, and the error that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MAX_PROBLEMS_SHOWN", "SeedError", "SeedProblem"]

MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class SeedProblem:
    """One problem in one file; ``line`` is 1-based (None when the whole file is at fault)."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class SeedError(Exception):
    """The seed data is malformed or inconsistent; nothing was written."""

    def __init__(self, problems: Iterable[SeedProblem]):
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        shown = [f"  {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"  … and {len(self.problems) - MAX_PROBLEMS_SHOWN} more")
        return f"{len(self.problems)} problems in the seed data:\n" + "\n".join(shown)
