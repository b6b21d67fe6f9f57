"""What a run did with the index: each refresh it made, and the run's own limits."""

from dataclasses import dataclass, field
from enum import StrEnum

from sync.etsy_index.store import Changes


class RefreshKind(StrEnum):
    INCREMENTAL = "incremental"
    FULL = "full"
    CHECKED = "checked"  # listings read by id
    SHARED = "shared"  # another worker refreshed meanwhile
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Refresh:
    kind: RefreshKind
    why: str = ""
    calls: int = 0  # Etsy requests made (retries aside)
    read: int = 0  # listings read
    changes: Changes = field(default_factory=Changes)
    complete: bool = True  # False: stopped early because the day's quota ran low

    def text(self) -> str:
        if self.kind == RefreshKind.SKIPPED:
            return f"not refreshed: {self.why}; placing from the stored index"
        if self.kind == RefreshKind.SHARED:
            return "refreshed by another worker meanwhile"
        head = {
            RefreshKind.INCREMENTAL: "incremental",
            RefreshKind.FULL: f"full walk ({self.why})",
            RefreshKind.CHECKED: f"checked {_count(self.read, 'listing')} by id ({self.why})",
        }[self.kind]
        changed = f"{_count(len(self.changes.listings), 'listing')} changed"
        if self.changes.dropped:
            changed += f", {len(self.changes.dropped)} dropped"
        stop = "" if self.complete else ", stopped early: Etsy quota low"
        return f"{head}: {changed} ({_count(self.calls, 'Etsy call')}{stop})"


@dataclass
class IndexPass:
    """One run's use of the index (a fetch, a retry, a webhook's settle): at most one
    refresh, at most one full rebuild for missing SKUs, each listing read by id once.
    `eager`: refresh when the run starts placing, needed or not (a fetch; stock push reads
    Etsy-side changes from it)."""

    eager: bool = False
    refreshed: bool = False
    rebuilt: bool = False
    held: bool = False  # the quota (or a busy index) held its refresh back: no more tries
    checked: set[int] = field(default_factory=set)
    done: list[Refresh] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # all its refreshes', for stock push

    def record(self, refresh: Refresh) -> Refresh:
        self.done.append(refresh)
        self.changes.merge(refresh.changes)
        return refresh

    def note(self) -> str | None:
        return "; ".join(refresh.text() for refresh in self.done) or None


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
