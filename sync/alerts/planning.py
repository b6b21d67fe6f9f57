"""How what is due goes out: new orders one by one or in a summary, placement failures one by
one or grouped by problem, and at most so many messages a run. Pure: `selection` loads what is
due and hands it here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from storage.states import AlertKind

BATCH_OVER = 5  # more new orders than this in the batch window: one summary


@dataclass(frozen=True)
class Due:
    kind: str
    key: str
    order_id: int
    tiktok_order_id: str
    # A placement failure: its reason, the TikTok SKUs it failed on, and its detail.
    reason: str | None = None
    skus: tuple[str, ...] = ()
    detail: str | None = None

    @property
    def problem(self) -> tuple[str | None, tuple[str, ...], str | None]:
        """What failed: the reason and SKUs, or the reason and detail when no SKU is named."""
        return self.reason, self.skus, None if self.skus else self.detail


@dataclass(frozen=True)
class FailureGroup:
    """Placement failures on one problem, told in one alert."""

    reason: str
    skus: tuple[str, ...]
    members: tuple[Due, ...]


@dataclass(frozen=True)
class Plan:
    singles: tuple[Due, ...]  # one message each
    batch: tuple[Due, ...] = ()  # new orders shown together in one summary
    groups: tuple[FailureGroup, ...] = ()  # failures shown together, one alert per problem

    @property
    def messages(self) -> int:
        return len(self.singles) + len(self.groups) + (1 if self.batch else 0)


def plan_new_orders(
    due: Sequence[Due], *, recent: int, batch_over: int = BATCH_OVER
) -> tuple[tuple[Due, ...], tuple[Due, ...]]:
    """(singles, batch): new orders get a message each while few arrive; when more than
    `batch_over` arrive within the batch window (`recent` already had a message in it), those
    due now go into one summary. One order alone is never a summary."""
    new = [d for d in due if d.kind == AlertKind.NEW_ORDER]
    if len(new) > 1 and len(new) + recent > batch_over:
        return (), tuple(new)
    return tuple(new), ()


def group_failures(due: Sequence[Due]) -> tuple[tuple[FailureGroup, ...], tuple[Due, ...]]:
    """(groups, singles) of the placement failures in `due`: those that share a problem (see
    `Due.problem`) make one group; a failure alone stays a single."""
    failed = [d for d in due if d.kind == AlertKind.PLACEMENT_FAILED]
    by_problem: dict[tuple, list[Due]] = {}
    for d in failed:
        by_problem.setdefault(d.problem, []).append(d)
    groups = tuple(
        FailureGroup(reason=members[0].reason or "", skus=members[0].skus, members=tuple(members))
        for members in by_problem.values()
        if len(members) > 1
    )
    return groups, tuple(d for d in failed if len(by_problem[d.problem]) == 1)


def within_budget(plan: Plan, budget: int) -> Plan:
    """At most `budget` messages (one kept for a summary): new orders that would go one by one
    are summarised instead, then what is still over waits for the next run (it stays due:
    nothing is queued)."""
    if plan.messages <= budget:
        return plan
    others = tuple(d for d in plan.singles if d.kind != AlertKind.NEW_ORDER)
    batch = plan.batch + tuple(d for d in plan.singles if d.kind == AlertKind.NEW_ORDER)
    if len(batch) == 1:  # one order alone is a single
        others, batch = others + batch, ()
    room = max(budget, 1) - (1 if batch else 0)
    groups = plan.groups[:room]
    return Plan(singles=others[: room - len(groups)], batch=batch, groups=groups)
