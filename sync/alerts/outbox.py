"""The outbox: posts each due alert once, keeps posted alerts up to date, posts the digest.

Every post is claim → post → record (`Outbox._publish`). The alert's unique key row is inserted
first (state `posting`), so a restart or a second instance never posts it again; a crash between
the claim and the channel's answer leaves the row `posting`, and that alert is not posted twice
(at most once). A refused alert goes back to `pending` and is tried again after a pause that
doubles per attempt; a refused digest gives its claim up.

Later changes to an order (its history grows) re-render its alerts; when the message differs
from what was last sent (`alerts.fingerprint`), it is replaced in place.

The outbox knows no words and no Slack: the caller supplies `render` (an AlertView → what the
poster sends) and `render_digest` (a DigestView → the same), and a `Poster`.

In memory, per process and on purpose: the event cursor (which order events this process has
looked at) and the alerts whose update the channel refused (tried again on the next run). Both
are rebuilt after a restart: the cursor starts REWIND events back, which covers a change made
just before it.
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Alert, OrderEvent
from storage.states import AlertKind, AlertState, EventKind
from sync.alerts.selection import (
    SHOWN,
    AlertRules,
    claim_batch,
    claim_digest,
    claim_members,
    claim_single,
    select_due,
)
from sync.alerts.views import AlertView, DigestView, load_digest, load_view
from sync.clock import Clock, as_utc

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=30)  # a refused post waits this, doubled per attempt …
RETRY_MAX = timedelta(minutes=30)  # … up to this
RETRIES_PER_RUN = 50


class PostRefused(Exception):
    """The channel refused the message (nothing was posted)."""


class Poster(Protocol):
    """Where alerts go: a channel that takes rendered payloads."""

    channel: str

    def post(self, payload: Any) -> tuple[str, str]:  # (channel, ts); raises PostRefused
        ...

    def update(self, channel: str, ts: str, payload: Any) -> None:  # raises PostRefused
        ...


def fingerprint(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


@dataclass
class DispatchReport:
    posted: list[str] = field(default_factory=list)  # keys
    updated: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class Sent(Enum):
    POSTED = "posted"
    REFUSED = "refused"
    TAKEN = "taken"  # another worker holds the claim


class EventCursor:
    """Which order events this process has looked at, so a run re-renders only the alerts of
    orders that changed since the last one. PostgreSQL may commit ids out of order, so the last
    OVERLAP ids behind the cursor are read again and those already seen are skipped."""

    REWIND = 2000  # a new process looks this far back (a restart may have come in between)
    OVERLAP = 50
    LIMIT = 5000  # events read per run; the rest wait for the next one

    def __init__(self) -> None:
        self._seen: int | None = None
        self._recent: set[int] = set()
        self._read: list[OrderEvent] = []

    def unseen(self, session: Session) -> list[OrderEvent]:
        if self._seen is None:
            self._seen = max(queries.last_event_id(session) - self.REWIND, 0)
        after = max(self._seen - self.OVERLAP, 0)
        self._read = queries.events_after(session, after_id=after, limit=self.LIMIT)
        return [e for e in self._read if e.id not in self._recent]

    def advance(self) -> None:
        """The events the last `unseen` returned were acted on."""
        if self._seen is None:
            return
        if self._read:
            self._seen = max(self._seen, self._read[-1].id)
        floor = self._seen - self.OVERLAP
        self._recent = {e.id for e in self._read if e.id > floor} | {
            i for i in self._recent if i > floor
        }


Render = Callable[[AlertView], Any]
RenderDigest = Callable[[DigestView], Any]
PayloadOf = Callable[[Session, Alert], Any]  # what to post for a claimed row


class Outbox:
    """Posts what `selection` finds due and keeps posted alerts up to date.

    One `dispatch` runs at a time per process (a lock: it guards the cursor, and a caller who
    asks for a run while one is under way gets its own run right after); several instances on
    one database never post one key twice (the claim), whatever the schedule does."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        poster: Poster,
        clock: Clock,
        render: Render,
        render_digest: RenderDigest,
        rules: AlertRules = AlertRules(),
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.poster = poster
        self.clock = clock
        self.render = render
        self.render_digest = render_digest
        self.rules = rules
        self.cursor = EventCursor()
        self._lock = threading.Lock()
        self._refused_updates: set[str] = set()  # keys tried again on the next run

    def dispatch(self, now: datetime | None = None) -> DispatchReport:
        now = now or self.clock()
        report = DispatchReport()
        with self._lock:
            grown = self._post_due(now, report)
            self._retry_refused(now, report)
            self._update_changed(now, report, grown)
        if report.posted or report.updated:
            log.info("alerts: %d posted, %d updated", len(report.posted), len(report.updated))
        return report

    def refresh(self, key: str, now: datetime | None = None) -> bool | None:
        """Bring one alert's message up to date now, when a command changed the alert; as
        `update_message`, and a refused update is tried again by the next run."""
        now = now or self.clock()
        with self._lock:
            done = self.update_message(key, now)
            if done is None:
                self._refused_updates.add(key)
        return done

    def post_digest(self, *, now: datetime, zone: tzinfo) -> bool:
        """Post the digest for `now`'s local day, once (its key is the day). True when posted."""
        with self.sessions() as session:
            view = load_digest(session, shop_id=self.shop_id, now=now, zone=zone)
        row = claim_digest(view.day, shop_id=self.shop_id, now=now)

        def payload_of(_session: Session, _alert: Alert) -> Any:
            return self.render_digest(view)

        return self._publish([row], payload_of, now, retry=False) is Sent.POSTED

    # claim → post → record

    def _publish(
        self, rows: list[Alert], payload_of: PayloadOf, now: datetime, *, retry: bool
    ) -> Sent:
        """Claim `rows`, then post the first of them and record the outcome. `retry`: a refused
        alert waits as `pending`; otherwise its claim is given up."""
        if not self._claim(rows):
            return Sent.TAKEN
        return self._post(rows[0], payload_of, now, retry=retry)

    def _claim(self, rows: list[Alert]) -> bool:
        try:
            with transaction(self.sessions) as session:
                queries.insert_alerts(session, alerts=rows)
        except IntegrityError:
            log.info("alert %s is claimed elsewhere; not posting it here", rows[0].key)
            return False
        return True

    def _post(self, alert: Alert, payload_of: PayloadOf, now: datetime, *, retry: bool) -> Sent:
        with self.sessions() as session:
            payload = payload_of(session, alert)
        try:
            channel, ts = self.poster.post(payload)
        except PostRefused as exc:
            then = "trying again later" if retry else "giving the claim up"
            log.warning("alert %s was refused (%s); %s", alert.key, exc, then)
            with transaction(self.sessions) as session:
                if retry:
                    queries.record_refused(session, alert_id=alert.id, error=str(exc), now=now)
                else:  # not posted: a later run may claim it again
                    queries.drop_claim(session, alert_id=alert.id)
            return Sent.REFUSED
        with transaction(self.sessions) as session:
            queries.record_posted(
                session,
                alert_id=alert.id,
                channel=channel,
                ts=ts,
                fingerprint=fingerprint(payload),
                now=now,
            )
        return Sent.POSTED

    def _alert_payload(self, session: Session, alert: Alert) -> Any:
        return self.render(load_view(session, alert))

    def _post_alert(self, rows: list[Alert], now: datetime, report: DispatchReport) -> None:
        sent = self._publish(rows, self._alert_payload, now, retry=True)
        if sent is Sent.POSTED:
            report.posted.append(rows[0].key)
        elif sent is Sent.REFUSED:
            report.refused.append(rows[0].key)

    # what is due

    def _post_due(self, now: datetime, report: DispatchReport) -> set[str]:
        """Post what is due; the keys of summaries that grew (to update in place)."""
        with self.sessions() as session:
            plan = select_due(session, shop_id=self.shop_id, now=now, rules=self.rules)
        for due in plan.singles:
            self._post_alert([claim_single(due, shop_id=self.shop_id, now=now)], now, report)
        if not plan.batch:
            return set()
        # Many new orders: into this minute's summary if there is one (it is updated in
        # place), else into a new summary.
        with self.sessions() as session:
            open_summary = queries.latest_alert(
                session,
                shop_id=self.shop_id,
                kind=AlertKind.NEW_ORDERS,
                since=now - self.rules.batch_window,
            )
        if open_summary is not None and open_summary.state == AlertState.POSTED:
            members = claim_members(
                plan.batch, shop_id=self.shop_id, now=now, summary_key=open_summary.key
            )
            return {open_summary.key} if self._claim(members) else set()
        self._post_alert(claim_batch(plan.batch, shop_id=self.shop_id, now=now), now, report)
        return set()

    def _retry_refused(self, now: datetime, report: DispatchReport) -> None:
        with self.sessions() as session:
            waiting = queries.alerts_in_state(
                session,
                shop_id=self.shop_id,
                state=AlertState.PENDING,
                updated_before=now - RETRY_AFTER,
                limit=RETRIES_PER_RUN,
            )
        for alert in waiting:
            pause = min(RETRY_AFTER * 2 ** max(alert.attempts - 1, 0), RETRY_MAX)
            if now - as_utc(alert.updated_at) < pause:
                continue
            with transaction(self.sessions) as session:
                mine = queries.move_alert(
                    session,
                    alert_id=alert.id,
                    from_state=AlertState.PENDING,
                    to_state=AlertState.POSTING,
                    now=now,
                )
            if not mine:
                continue
            if self._post(alert, self._alert_payload, now, retry=True) is Sent.POSTED:
                report.posted.append(alert.key)
            else:
                report.refused.append(alert.key)

    # updating in place

    def _update_changed(self, now: datetime, report: DispatchReport, grown: set[str]) -> None:
        with self.sessions() as session:
            changed = {event.order_id for event in self.cursor.unseen(session)}
            shown = queries.alerts_of_orders(
                session, shop_id=self.shop_id, order_ids=changed, states=SHOWN
            )
        keys = [a.key for a in shown if a.ts] + sorted(grown | self._refused_updates)
        self._refused_updates = set()
        ordered = list(dict.fromkeys(keys))
        for index, key in enumerate(ordered):
            done = self.update_message(key, now)
            if done:
                report.updated.append(key)
            elif done is None:  # refused (rate limited, …): this and the rest wait a run
                self._refused_updates = set(ordered[index:])
                break
        self.cursor.advance()

    def update_message(self, key: str, now: datetime) -> bool | None:
        """Re-render a posted alert and replace its message when it reads differently now.
        True when the message was updated, False when nothing had to change, None when the
        channel refused the update (worth trying again later)."""
        with self.sessions() as session:
            alert = queries.alert_by_key(session, key=key)
            if alert is None or alert.state not in SHOWN or not alert.ts:
                return False
            payload = self._alert_payload(session, alert)
        fp = fingerprint(payload)
        if alert.fingerprint == fp:
            return False
        try:
            self.poster.update(alert.channel or self.poster.channel, alert.ts, payload)
        except PostRefused as exc:
            log.warning("could not update alert %s in place (%s); trying again later", key, exc)
            return None
        with transaction(self.sessions) as session:
            queries.record_fingerprint(session, alert_id=alert.id, fingerprint=fp, now=now)
        return True


# --- what buttons on alerts do -------------------------------------------------------------


@dataclass(frozen=True)
class Handled:
    done: bool  # this call marked it
    alert: Alert | None  # None: no such alert


def mark_handled(
    sessions: SessionFactory, *, shop_id: int, key: str, actor: str, now: datetime
) -> Handled:
    """Mark a posted alert handled, exactly once however often clicked; the order's history
    says who did it (a history entry, which would also make the outbox's next run re-render
    the alert: `Outbox.refresh` does it at once)."""
    with transaction(sessions) as session:
        alert = queries.alert_by_key(session, key=key)
        if alert is None or alert.shop_id != shop_id:
            return Handled(False, None)
        done = queries.handle_alert(session, key=key, actor=actor, now=now)
        if done and alert.order_id is not None:
            queries.add_event(
                session,
                order_id=alert.order_id,
                at=now,
                actor=actor,
                kind=EventKind.ALERT_HANDLED,
                detail=alert.kind.replace("_", " "),
            )
        session.flush()
        session.refresh(alert)
        return Handled(done, alert)
