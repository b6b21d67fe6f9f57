"""The outbox: posts each due alert once, keeps posted alerts up to date, posts the digest.

Every post is claim → post → record (`Outbox._publish`). The alert's unique key row is inserted
first (state `posting`), so a restart or a second instance never claims it again. Delivery is
at least once and never shows a duplicate:

- Refused by the channel (nothing was posted): the row waits as `pending` and is tried again
  after a pause that doubles per attempt (the digest too).
- Cut short (a crash between claim and record, or a post whose answer never came): the row is
  left `posting`. Past `AlertRules.reconcile_after` the next run takes the claim over, asks the
  channel for a message carrying the alert's key (`Poster.find`), and records that message
  instead of posting again; when there is none it posts. A channel that cannot look
  (`HistoryUnavailable`) gets the post: at least once, perhaps twice, and logged; one that
  cannot look just now (`HistoryBusy`) is asked again after another grace period.

What arrives after an alert was posted is news of its own (`selection`); editing a message is
only for the new state of what it already told. Changes to an order (its history grows)
re-render its alerts, and the summary or group it is in; when a message differs from what was
last sent (`fingerprint`), it is replaced in place.

The outbox knows no words and no Slack: the caller supplies `render` (an AlertView → what the
poster sends) and `render_digest` (a DigestView → the same), and a `Poster`, which carries the
alert's key with each message, paces its posts and says where a key was posted.
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Alert
from storage.states import AlertKind, AlertState
from sync.alerts.cursor import EventCursor
from sync.alerts.selection import (
    SHOWN,
    AlertRules,
    claim_batch,
    claim_digest,
    claim_group,
    claim_single,
    select_due,
    subject_of,
)
from sync.alerts.views import AlertView, DigestView, load_digest, load_view
from sync.clock import Clock, as_utc

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=30)  # a refused post waits this, doubled per attempt …
RETRY_MAX = timedelta(minutes=30)  # … up to this
RETRIES_PER_RUN = 50
LOOK_BACK = timedelta(minutes=5)  # a found message may be this much older than its claim


class PostRefused(Exception):
    """The channel refused the message (nothing was posted)."""


class HistoryUnavailable(Exception):
    """The channel cannot say what was posted (no permission to read it, …): post again."""


class HistoryBusy(Exception):
    """The channel cannot say what was posted just now (rate limited): look again later."""


class Poster(Protocol):
    """Where alerts go: a channel that takes rendered payloads, each with its alert's key."""

    channel: str

    def post(self, payload: Any, *, key: str) -> tuple[str, str]:  # (channel, ts)
        """Raises PostRefused; anything else raised means the message may be out."""
        ...

    def update(self, channel: str, ts: str, payload: Any, *, key: str) -> None:
        """Raises PostRefused."""
        ...

    def find(self, keys: Collection[str], *, since: datetime) -> dict[str, tuple[str, str]]:
        """Where each of `keys` was posted since `since` (those found); raises
        HistoryUnavailable or HistoryBusy."""
        ...


def fingerprint(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


@dataclass
class DispatchReport:
    posted: list[str] = field(default_factory=list)  # keys
    updated: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)  # no answer: looked for later
    reconciled: list[str] = field(default_factory=list)  # found in the channel, not re-posted


class Sent(Enum):
    POSTED = "posted"
    REFUSED = "refused"
    UNCERTAIN = "uncertain"  # no answer: it may be out; the next runs look for it
    TAKEN = "taken"  # another worker holds the claim


Render = Callable[[AlertView], Any]
RenderDigest = Callable[[DigestView], Any]
PayloadOf = Callable[[Session, Alert, datetime], Any]  # what to post for a claimed row


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
        zone: tzinfo = UTC,  # the digest's local day, for a digest tried again
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.poster = poster
        self.clock = clock
        self.render = render
        self.render_digest = render_digest
        self.rules = rules
        self.zone = zone
        self.cursor = EventCursor()
        self._lock = threading.Lock()
        self._refused_updates: set[str] = set()  # keys tried again on the next run

    def dispatch(self, now: datetime | None = None) -> DispatchReport:
        now = now or self.clock()
        report = DispatchReport()
        with self._lock:
            self._reconcile(now, report)
            self._post_due(now, report)
            self._retry_refused(now, report)
            self._update_changed(now, report)
        if report.posted or report.updated or report.reconciled:
            log.info(
                "alerts: %d posted, %d updated, %d found already posted",
                len(report.posted),
                len(report.updated),
                len(report.reconciled),
            )
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
        """Post the digest for `now`'s local day, once (its key is the day). True when posted;
        a refused digest waits as `pending` and the next runs try it again."""
        with self.sessions() as session:
            view = load_digest(session, shop_id=self.shop_id, now=now, zone=zone)
        row = claim_digest(view.day, shop_id=self.shop_id, now=now)

        def payload_of(_session: Session, _alert: Alert, _now: datetime) -> Any:
            return self.render_digest(view)

        return self._publish([row], payload_of, now) is Sent.POSTED

    # claim → post → record

    def _publish(self, rows: list[Alert], payload_of: PayloadOf, now: datetime) -> Sent:
        """Claim `rows`, then post the first of them and record the outcome."""
        if not self._claim(rows):
            return Sent.TAKEN
        return self._post(rows[0], payload_of, now)

    def _claim(self, rows: list[Alert]) -> bool:
        try:
            with transaction(self.sessions) as session:
                queries.insert_alerts(session, alerts=rows)
        except IntegrityError:
            log.info("alert %s is claimed elsewhere; not posting it here", rows[0].key)
            return False
        return True

    def _post(self, alert: Alert, payload_of: PayloadOf, now: datetime) -> Sent:
        with self.sessions() as session:
            payload = payload_of(session, alert, now)
        try:
            channel, ts = self.poster.post(payload, key=alert.key)
        except PostRefused as exc:
            log.warning("alert %s was refused (%s); trying again later", alert.key, exc)
            with transaction(self.sessions) as session:
                queries.record_refused(session, alert_id=alert.id, error=str(exc), now=now)
            return Sent.REFUSED
        except Exception:  # no answer (a timeout, a reset connection): it may be out
            log.exception(
                "alert %s: no answer from the channel; its claim stays and is looked for in the "
                "channel after %s",
                alert.key,
                self.rules.reconcile_after,
            )
            return Sent.UNCERTAIN
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

    def _payload(self, session: Session, alert: Alert, now: datetime) -> Any:
        if alert.kind == AlertKind.DIGEST:  # tried again: today's numbers, under its own day
            view = load_digest(session, shop_id=self.shop_id, now=now, zone=self.zone)
            return self.render_digest(replace(view, day=subject_of(alert.key)))
        return self.render(load_view(session, alert, new_window=self.rules.new_window, now=now))

    def _sent(self, key: str, sent: Sent, report: DispatchReport) -> bool:
        """Note how a post went; False when the channel is in trouble (stop posting)."""
        if sent is Sent.POSTED:
            report.posted.append(key)
        elif sent is Sent.REFUSED:
            report.refused.append(key)
        elif sent is Sent.UNCERTAIN:
            report.uncertain.append(key)
        return sent in (Sent.POSTED, Sent.TAKEN)

    # what is due

    def _post_due(self, now: datetime, report: DispatchReport) -> None:
        """Post what is due: failure groups, singles, then the summary of new orders. Each is a
        new message; a refusal stops the run (what is left stays due for the next)."""
        with self.sessions() as session:
            plan = select_due(session, shop_id=self.shop_id, now=now, rules=self.rules)
        claims = [claim_group(group, shop_id=self.shop_id, now=now) for group in plan.groups]
        claims += [[claim_single(due, shop_id=self.shop_id, now=now)] for due in plan.singles]
        if plan.batch:
            claims.append(claim_batch(plan.batch, shop_id=self.shop_id, now=now))
        for rows in claims:
            if not self._sent(rows[0].key, self._publish(rows, self._payload, now), report):
                return

    def _reconcile(self, now: datetime, report: DispatchReport) -> None:
        """Claims cut short (left `posting` past the grace period): taken over, looked for in
        the channel with one read of its history; a message found is recorded (and brought up
        to date), an alert not found is posted now."""
        cutoff = now - self.rules.reconcile_after
        with self.sessions() as session:
            stale = queries.alerts_in_state(
                session,
                shop_id=self.shop_id,
                state=AlertState.POSTING,
                updated_before=cutoff,
                limit=RETRIES_PER_RUN,
            )
        mine = []
        for alert in stale:
            with transaction(self.sessions) as session:
                if queries.take_stale_claim(
                    session, alert_id=alert.id, claimed_before=cutoff, now=now
                ):
                    mine.append(alert)
        if not mine:
            return
        since = min(as_utc(alert.created_at) for alert in mine) - LOOK_BACK
        try:
            found = self.poster.find([alert.key for alert in mine], since=since)
        except HistoryBusy as exc:  # the claims, fresh again, are looked for after the grace
            log.info("cannot look for %d alert(s) cut short yet (%s)", len(mine), exc)
            return
        except HistoryUnavailable as exc:
            log.warning(
                "%d alert(s) were cut short and the channel cannot say whether they are out "
                "(%s); posting them again, so they may show twice",
                len(mine),
                exc,
            )
            found = {}
        for alert in mine:
            if alert.key not in found:
                if not self._sent(alert.key, self._post(alert, self._payload, now), report):
                    return
                continue
            channel, ts = found[alert.key]
            with transaction(self.sessions) as session:
                queries.record_posted(
                    session, alert_id=alert.id, channel=channel, ts=ts, fingerprint=None, now=now
                )
            report.reconciled.append(alert.key)
            # What it shows now, whatever it showed then; a refusal is tried again next run.
            if self.update_message(alert.key, now) is None:
                self._refused_updates.add(alert.key)

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
            if mine and not self._sent(alert.key, self._post(alert, self._payload, now), report):
                return

    # updating in place

    def _update_changed(self, now: datetime, report: DispatchReport) -> None:
        """Re-render the alerts of orders that changed since the last run (and the summaries
        and groups they are in), and the updates the channel refused last time."""
        with self.sessions() as session:
            changed = {event.order_id for event in self.cursor.unseen(session)}
            shown = queries.alerts_of_orders(
                session, shop_id=self.shop_id, order_ids=changed, states=SHOWN
            )
            members = queries.alerts_of_orders(
                session, shop_id=self.shop_id, order_ids=changed, states=(AlertState.BATCHED,)
            )
        keys = [a.key for a in shown if a.ts] + [m.batch_key for m in members if m.batch_key]
        ordered = list(dict.fromkeys(keys + sorted(self._refused_updates)))
        self._refused_updates = set()
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
            payload = self._payload(session, alert, now)
        fp = fingerprint(payload)
        if alert.fingerprint == fp:
            return False
        try:
            self.poster.update(alert.channel or self.poster.channel, alert.ts, payload, key=key)
        except PostRefused as exc:
            log.warning("could not update alert %s in place (%s); trying again later", key, exc)
            return None
        with transaction(self.sessions) as session:
            queries.record_fingerprint(session, alert_id=alert.id, fingerprint=fp, now=now)
        return True
