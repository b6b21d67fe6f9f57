"""What a fetch reports: progress while it runs, a summary at the end, the tally behind both."""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sync import metrics
from sync.etsy_index import IndexPass


@dataclass(frozen=True)
class FetchProgress:
    pages: int
    orders: int
    placed: int
    failed: int
    done: bool = False


@dataclass
class FetchSummary:
    started_at: datetime
    finished_at: datetime | None = None
    pages: int = 0
    orders: int = 0
    new: int = 0
    updated: int = 0
    placed: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    restored: int = 0
    completed: int = 0
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # orders TikTok sent that could not be read
    index: str | None = None  # what the SKU index refresh did (IndexPass.note)
    etsy_quota_left: int | None = None  # Etsy calls left today, as last seen
    etsy_quota_limit: int | None = None
    stock_push: str | None = None  # what the push cycle after the fetch did (PushReport.text)

    @property
    def duration_s(self) -> float:
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "FetchSummary":
        """A summary stored by `to_json`. A field it lacks (stored before the field existed)
        takes its default."""
        data = json.loads(text)
        finished_at = data.get("finished_at")
        return cls(
            started_at=datetime.fromisoformat(data["started_at"]),
            finished_at=datetime.fromisoformat(finished_at) if finished_at else None,
            pages=int(data.get("pages", 0)),
            orders=int(data.get("orders", 0)),
            new=int(data.get("new", 0)),
            updated=int(data.get("updated", 0)),
            placed=int(data.get("placed", 0)),
            failed={str(reason): int(n) for reason, n in (data.get("failed") or {}).items()},
            restored=int(data.get("restored", 0)),
            completed=int(data.get("completed", 0)),
            error=data.get("error"),
            skipped=[str(order_id) for order_id in data.get("skipped") or ()],
            index=data.get("index"),
            etsy_quota_left=_count_or_none(data.get("etsy_quota_left")),
            etsy_quota_limit=_count_or_none(data.get("etsy_quota_limit")),
            stock_push=data.get("stock_push"),
        )


def _count_or_none(value) -> int | None:
    return None if value is None else int(value)


@dataclass
class Tally:
    placed: int = 0
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    restored: int = 0
    index: IndexPass = field(default_factory=IndexPass)  # the run's use of the SKU index

    def fail(self, reason: str) -> None:
        self.failed[reason] += 1
        metrics.ORDERS_FAILED.labels(reason).inc()
