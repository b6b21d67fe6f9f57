"""The scheduler: fetch, refresh of moving orders, the completion sweep, alerts and the digest.

APScheduler 3 (BackgroundScheduler, memory job store, UTC). Every job has an explicit id,
`replace_existing`, `coalesce`, `max_instances=1` and a `misfire_grace_time`, so a job never
overlaps itself in one process and a backlog runs once. Across instances the job store is no lock
(apscheduler FAQ): each run first takes the lease row `job:<id>:<shop>`, which stays taken until
half a period after its tick, so instances sharing a database run each job once per tick. Interval
ticks are aligned to a fixed epoch, so every instance ticks at the same instants.

Trigger math is pure: `triggers(schedule)` and `next_runs(schedule, now)` take no clock.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts import AlertDispatcher, Poster, post_digest
from bot.webhook import RefreshWorker, TikTokWebhook
from storage.db import SessionFactory
from sync import lifecycle
from sync.clock import Clock
from sync.engine import Engine, EngineError
from sync.leases import Leases, new_holder

log = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # interval ticks fall on multiples from here

FETCH, REFRESH, SWEEP, ALERTS, DIGEST = "fetch", "refresh", "sweep", "alerts", "digest"


@dataclass(frozen=True)
class Schedule:
    fetch_every: timedelta = timedelta(minutes=5)
    refresh_every: timedelta = timedelta(minutes=15)
    sweep_every: timedelta = timedelta(hours=1)
    alerts_every: timedelta = timedelta(seconds=10)
    digest_at: time = time(8, 0)  # local time in `timezone`
    timezone: tzinfo = UTC
    fetch_at_start: bool = True  # `orderbot run` fetches right away; the demo fetches itself

    def every(self, job: str) -> timedelta:
        return {
            FETCH: self.fetch_every,
            REFRESH: self.refresh_every,
            SWEEP: self.sweep_every,
            ALERTS: self.alerts_every,
            DIGEST: timedelta(days=1),
        }[job]

    def grace(self, job: str) -> int:
        """misfire_grace_time (s): a run this late still runs; a later one waits for the next."""
        if job == DIGEST:
            return 3600
        return max(int(self.every(job).total_seconds() // 2), 5)


def interval_trigger(every: timedelta) -> IntervalTrigger:
    return IntervalTrigger(seconds=every.total_seconds(), start_date=EPOCH, timezone=UTC)


def digest_trigger(at: time, zone: tzinfo) -> CronTrigger:
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone)


def triggers(schedule: Schedule) -> dict[str, BaseTrigger]:
    return {
        FETCH: interval_trigger(schedule.fetch_every),
        REFRESH: interval_trigger(schedule.refresh_every),
        SWEEP: interval_trigger(schedule.sweep_every),
        ALERTS: interval_trigger(schedule.alerts_every),
        DIGEST: digest_trigger(schedule.digest_at, schedule.timezone),
    }


def next_runs(schedule: Schedule, now: datetime) -> dict[str, datetime]:
    """When each job fires next after `now` (pure: the triggers' own math, `now` passed in)."""
    return {job: t.get_next_fire_time(None, now) for job, t in triggers(schedule).items()}


def next_digest_at(now: datetime, at: time, zone: tzinfo) -> datetime:
    """When the digest fires next at or after `now`: `at` local time in `zone`. A wall time a
    DST change skips fires at the instant it would have been; one it repeats fires at its first
    occurrence (and, if that has passed, at the second: the digest's key, its local date, keeps
    it to one a day)."""
    return digest_trigger(at, zone).get_next_fire_time(None, now)


# --- running a job once -------------------------------------------------------------------


class Solo:
    """Runs `work()` so that it never overlaps itself in this process. A call made while it runs
    is not lost: the running call goes round once more when it ends."""

    def __init__(self, work: Callable[[], object]):
        self._work = work
        self._guard = threading.Lock()
        self._running = False
        self._again = False

    def __call__(self) -> bool:
        """True when this call ran `work`; False when it asked the running call to repeat."""
        with self._guard:
            if self._running:
                self._again = True
                return False
            self._running = True
        try:
            while True:
                self._work()
                with self._guard:
                    if not self._again:
                        self._running = False
                        return True
                    self._again = False
        except BaseException:
            with self._guard:
                self._running = self._again = False
            raise


# --- the jobs -----------------------------------------------------------------------------


@dataclass
class Jobs:
    """What the jobs run against. Built once by the composition root."""

    engine: Engine
    schedule: Schedule
    clock: Clock
    dispatcher: AlertDispatcher | None = None  # None: no alert channel configured
    holder: str = field(default_factory=new_holder)

    def __post_init__(self) -> None:
        self._alerts = Solo(self._run_alerts)
        self.leases = Leases(self.sessions, self.clock)

    @property
    def sessions(self) -> SessionFactory:
        return self.engine.sessions

    @property
    def shop_id(self) -> int:
        return self.engine.shop_id

    def run(self, job: str, work: Callable[[datetime], object]) -> bool:
        return self.leases.once_per_tick(
            name=f"job:{job}:{self.shop_id}",
            holder=self.holder,
            every=self.schedule.every(job),
            work=work,
        )

    def kick_alerts(self) -> None:
        """Dispatch alerts now (after a fetch or a webhook refresh), never overlapping itself."""
        if self.dispatcher is not None:
            self._alerts()

    def _run_alerts(self) -> None:
        self.run(ALERTS, lambda now: self.dispatcher.dispatch(now))


def fetch_job(jobs: Jobs) -> None:
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


def refresh_job(jobs: Jobs) -> None:
    def work(now: datetime) -> None:
        report = lifecycle.refresh_moving(
            jobs.engine, now=now, stale_after=jobs.schedule.refresh_every
        )
        if report.asked:
            log.info("refreshed %d moving order(s) in %d call(s)", report.asked, report.calls)

    if jobs.run(REFRESH, work):
        jobs.kick_alerts()


def sweep_job(jobs: Jobs) -> None:
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


def alerts_job(jobs: Jobs) -> None:
    jobs.kick_alerts()


def digest_job(jobs: Jobs) -> None:
    dispatcher = jobs.dispatcher
    if dispatcher is None:
        return
    jobs.run(
        DIGEST,
        lambda now: post_digest(
            jobs.sessions,
            dispatcher.poster,
            shop_id=jobs.shop_id,
            now=now,
            zone=jobs.schedule.timezone,
        ),
    )


JOBS = {
    FETCH: fetch_job,
    REFRESH: refresh_job,
    SWEEP: sweep_job,
    ALERTS: alerts_job,
    DIGEST: digest_job,
}


def build_scheduler(jobs: Jobs) -> BackgroundScheduler:
    """A scheduler (not started) with every job; alerts and the digest only with a channel."""
    schedule = jobs.schedule
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for job, trigger in triggers(schedule).items():
        if job in (ALERTS, DIGEST) and jobs.dispatcher is None:
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


# --- everything in the background, together ---------------------------------------------------


class Autopilot:
    """The scheduler, the webhook worker and the webhook handler, started and stopped together."""

    def __init__(
        self,
        *,
        engine: Engine,
        schedule: Schedule,
        clock: Clock,
        app_key: str,
        app_secret: str,
        poster: Poster | None = None,
        tiktok_shop_id: str | None = None,
        dispatcher_options: dict | None = None,
    ):
        dispatcher = None
        if poster is not None:
            dispatcher = AlertDispatcher(
                sessions=engine.sessions,
                shop_id=engine.shop_id,
                poster=poster,
                clock=clock,
                **(dispatcher_options or {}),
            )
        else:
            log.warning("no alert channel is configured (ORDERBOT_ALERT_CHANNEL): no alerts")
        self.jobs = Jobs(engine=engine, schedule=schedule, clock=clock, dispatcher=dispatcher)
        self.worker = RefreshWorker(
            engine.refresh_orders,
            after=self.jobs.kick_alerts,
            resolve_shop=lambda: lifecycle.tiktok_shop_id(engine),
            shop_id=tiktok_shop_id,
        )
        self.webhook = TikTokWebhook(app_key=app_key, app_secret=app_secret, worker=self.worker)
        self.scheduler = build_scheduler(self.jobs)

    @property
    def dispatcher(self) -> AlertDispatcher | None:
        return self.jobs.dispatcher

    def start(self) -> "Autopilot":
        self.worker.start()
        self.scheduler.start()
        log.info(
            "scheduler started: %s",
            ", ".join(
                f"{job.id} next at {job.next_run_time:%H:%M:%S}"
                for job in self.scheduler.get_jobs()
            ),
        )
        return self

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.worker.stop()
