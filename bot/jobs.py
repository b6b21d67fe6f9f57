"""The jobs and the scheduler that runs them.

APScheduler 3 (BackgroundScheduler, memory job store, UTC). Every job has an explicit id,
`replace_existing`, `coalesce`, `max_instances=1` and a `misfire_grace_time`, so a job never
overlaps itself in one process and a backlog runs once. Across instances the job store is no lock
(apscheduler FAQ): each run first takes the lease row `job:<id>:<shop>`
(`sync.leases.Leases.once_per_tick`), which stays taken until half a period after its tick, so
instances sharing a database run each job once per tick.

Alerts are also dispatched right after a fetch and a webhook refresh (`kick_alerts`). The
outbox's own lock keeps those runs from overlapping in this process: a kick made during a run
waits for it and then runs (so it sees the change that caused it).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from bot.schedule import ALERTS, DIGEST, FETCH, REFRESH, SWEEP, Schedule, triggers
from sync import lifecycle
from sync.alerts import Outbox
from sync.clock import Clock
from sync.engine import Engine, EngineError
from sync.leases import Leases, new_holder

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What the jobs run against. Built once by the composition root (`orderbot.autopilot`)."""

    engine: Engine
    schedule: Schedule
    clock: Clock
    outbox: Outbox | None = None  # None: no alert channel configured
    holder: str = field(default_factory=new_holder)

    def __post_init__(self) -> None:
        self.leases = Leases(self.engine.sessions, self.clock)

    @property
    def shop_id(self) -> int:
        return self.engine.shop_id

    def run(self, job: str, work: Callable[[datetime], object]) -> bool:
        """`work(now)` unless another instance ran `job` this tick; True when it ran here."""
        return self.leases.once_per_tick(
            name=f"job:{job}:{self.shop_id}",
            holder=self.holder,
            every=self.schedule.every(job),
            work=work,
        )

    def kick_alerts(self) -> None:
        """Dispatch alerts now (after a fetch or a webhook refresh)."""
        if self.outbox is not None:
            self.run(ALERTS, lambda now: self.outbox.dispatch(now))


def fetch_job(jobs: JobContext) -> None:
    def work(now: datetime) -> None:
        try:
            summary = jobs.engine.fetch()
        except EngineError as exc:  # a fetch is running (another instance, /orders fetch)
            log.info("scheduled fetch skipped: %s", exc)
            return
        log.info(
            "scheduled fetch: %d new, %d placed, %d failed%s",
            summary.new,
            summary.placed,
            sum(summary.failed.values()),
            f" — {summary.error}" if summary.error else "",
        )

    if jobs.run(FETCH, work):
        jobs.kick_alerts()


def refresh_job(jobs: JobContext) -> None:
    def work(now: datetime) -> None:
        report = lifecycle.refresh_moving(
            jobs.engine, now=now, stale_after=jobs.schedule.refresh_every
        )
        if report.asked:
            log.info("refreshed %d moving order(s) in %d call(s)", report.asked, report.calls)
        if report.claims_cancelled or report.claims_released:
            log.info(
                "stale cancel claims: %d found cancelled on TikTok, %d released",
                report.claims_cancelled,
                report.claims_released,
            )

    if jobs.run(REFRESH, work):
        jobs.kick_alerts()


def sweep_job(jobs: JobContext) -> None:
    def work(now: datetime) -> None:
        report = lifecycle.sweep(jobs.engine, now=now)
        if report.due or report.error:
            log.info(
                "completion sweep: %d due, %d moved on TikTok, %d completed%s",
                report.due,
                len(report.moved_on_tiktok or ()),
                report.completed,
                f" — {report.error}" if report.error else "",
            )

    jobs.run(SWEEP, work)


def alerts_job(jobs: JobContext) -> None:
    jobs.kick_alerts()


def digest_job(jobs: JobContext) -> None:
    outbox = jobs.outbox
    if outbox is not None:
        jobs.run(DIGEST, lambda now: outbox.post_digest(now=now, zone=jobs.schedule.timezone))


JOBS = {
    FETCH: fetch_job,
    REFRESH: refresh_job,
    SWEEP: sweep_job,
    ALERTS: alerts_job,
    DIGEST: digest_job,
}


def build_scheduler(jobs: JobContext) -> BackgroundScheduler:
    """A scheduler (not started) with every job; alerts and the digest only with a channel."""
    schedule = jobs.schedule
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for job, trigger in triggers(schedule).items():
        if job in (ALERTS, DIGEST) and jobs.outbox is None:
            continue
        scheduler.add_job(
            JOBS[job],
            trigger,
            args=[jobs],
            id=job,
            name=f"orderbot {job}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=schedule.grace(job),
        )
    if schedule.fetch_at_start:
        # A one-off job, so the interval job keeps ticking on the shared instants (a start
        # time given to it would count its ticks from this instance's start); the fetch
        # lease keeps it from overlapping a tick.
        scheduler.add_job(
            JOBS[FETCH],
            DateTrigger(run_date=jobs.clock(), timezone=UTC),
            args=[jobs],
            id=f"{FETCH}-at-start",
            name="orderbot fetch at start",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=schedule.grace(FETCH),
        )
    return scheduler
