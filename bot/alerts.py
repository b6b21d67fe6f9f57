"""Channel alerts: what each says (as a renderer-neutral `Reply`), posting each once, and keeping
it up to date in place.

Posting is claim-then-post: the alert's unique key row is inserted (state `posting`) before
Slack is called, so a restart or a second instance never posts it again. A post that Slack
refuses goes back to `pending` and is tried again after a pause; a crash between the claim and
Slack's answer leaves the row `posting`, and that alert is not posted twice (at most once).

Later changes to an order (its history grows) re-render its alerts; when the message differs
from what was last sent (a fingerprint kept in the row), it is replaced with `chat.update` on the
stored `ts`.
"""

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import render
from commands.alerts import content_of, digest_content
from commands.replies import Reply
from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Alert
from sync import alerts as selection
from sync.clock import Clock, as_utc

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=30)  # a refused post waits this, doubled per attempt …
RETRY_MAX = timedelta(minutes=30)  # … up to this
EVENT_OVERLAP = 50  # event ids re-read each run: PostgreSQL may commit ids out of order

# --- where alerts go ------------------------------------------------------------------------


class PostRefused(Exception):
    """The channel refused the message (nothing was posted)."""


class Poster(Protocol):
    channel: str

    def render(self, reply: Reply) -> Any: ...

    def post(self, payload: Any) -> tuple[str, str]:  # (channel, ts)
        ...

    def update(self, channel: str, ts: str, payload: Any) -> None: ...


class SlackPoster:
    """Posts to a Slack channel through the Web API."""

    def __init__(self, client: WebClient, channel: str):
        self.client = client
        self.channel = channel

    def render(self, reply: Reply) -> dict:
        return render.message(reply)

    def post(self, payload: dict) -> tuple[str, str]:
        try:
            response = self.client.chat_postMessage(channel=self.channel, **payload)
        except SlackApiError as exc:
            raise PostRefused(str(exc.response.get("error"))) from exc
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, payload: dict) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, **payload)
        except SlackApiError as exc:
            raise PostRefused(str(exc.response.get("error"))) from exc


def fingerprint(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _detail(alert: Alert) -> dict:
    try:
        loaded = json.loads(alert.detail or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


# --- keeping one message up to date -----------------------------------------------------------


def update_message(
    sessions: SessionFactory, poster: Poster, *, key: str, now: datetime
) -> bool | None:
    """Re-render a posted alert and replace its message when it reads differently now.
    True when the message was updated, False when nothing had to change, None when Slack
    refused the update (worth trying again later)."""
    with sessions() as session:
        alert = queries.alert_by_key(session, key=key)
        if alert is None or alert.state not in selection.SHOWN or not alert.ts:
            return False
        payload = poster.render(content_of(selection.load_view(session, alert)))
    return _replace(sessions, poster, alert, payload, now)


def _replace(sessions, poster: Poster, alert: Alert, payload: Any, now: datetime) -> bool | None:
    fp = fingerprint(payload)
    detail = _detail(alert)
    if detail.get("fp") == fp:
        return False
    try:
        poster.update(alert.channel or poster.channel, alert.ts, payload)
    except PostRefused as exc:
        log.warning("could not update alert %s in place (%s); trying again later", alert.key, exc)
        return None
    with transaction(sessions) as session:
        row = session.get(Alert, alert.id)
        fresh = _detail(row)
        fresh["fp"] = fp
        row.detail = json.dumps(fresh, sort_keys=True)
        row.updated_at = now
    return True


# --- the dispatcher -----------------------------------------------------------------------------


@dataclass
class DispatchReport:
    posted: list[str] = field(default_factory=list)  # keys
    updated: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class AlertDispatcher:
    """Posts what `sync.alerts` finds due and keeps posted alerts up to date.

    One dispatcher runs at a time per process (`dispatch` holds a lock); several instances on
    one database never post one key twice (the claim), whatever the schedule does."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        poster: Poster,
        clock: Clock,
        batch_over: int = selection.BATCH_OVER,
        new_window: timedelta = selection.NEW_WINDOW,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.poster = poster
        self.clock = clock
        self.batch_over = batch_over
        self.new_window = new_window
        self._lock = threading.Lock()
        self._seen_event: int | None = None
        self._recent_events: set[int] = set()
        self._stale: set[str] = set()  # alerts whose update Slack refused: tried again

    def dispatch(self, now: datetime | None = None) -> DispatchReport:
        now = now or self.clock()
        report = DispatchReport()
        with self._lock:
            dirty = self._post_due(now, report)
            self._retry_refused(now, report)
            self._update_changed(now, report, dirty)
        if report.posted or report.updated:
            log.info("alerts: %d posted, %d updated", len(report.posted), len(report.updated))
        return report

    # posting

    def _post_due(self, now: datetime, report: DispatchReport) -> set[str]:
        with self.sessions() as session:
            plan = selection.select_due(
                session,
                shop_id=self.shop_id,
                now=now,
                new_window=self.new_window,
                batch_over=self.batch_over,
            )
        for due in plan.singles:
            rows = self._claim(selection.claim_rows(due, shop_id=self.shop_id, now=now))
            if rows:
                self._post(rows[0], now, report)
        dirty: set[str] = set()
        if plan.batch:
            dirty |= self._post_batch(plan.batch, now, report)
        return dirty

    def _post_batch(self, batch, now: datetime, report: DispatchReport) -> set[str]:
        """Many new orders: add them to this minute's summary if there is one (it is updated in
        place), else post a new summary."""
        with self.sessions() as session:
            open_summary = queries.latest_alert(
                session,
                shop_id=self.shop_id,
                kind=selection.NEW_ORDERS,
                since=now - selection.BATCH_WINDOW,
            )
        if open_summary is not None and open_summary.state == selection.POSTED:
            rows = selection.claim_rows(None, shop_id=self.shop_id, now=now, batch=batch)[1:]
            for row in rows:
                row.detail = selection.batch_detail(open_summary.key)
            if self._claim(rows):
                return {open_summary.key}
            return set()
        rows = self._claim(selection.claim_rows(None, shop_id=self.shop_id, now=now, batch=batch))
        if rows:
            self._post(rows[0], now, report)
        return set()

    def _claim(self, rows: list[Alert]) -> list[Alert]:
        try:
            with transaction(self.sessions) as session:
                queries.insert_alerts(session, alerts=rows)
        except IntegrityError:
            log.info("alert %s is claimed elsewhere; not posting it here", rows[0].key)
            return []
        return rows

    def _post(self, alert: Alert, now: datetime, report: DispatchReport) -> None:
        with self.sessions() as session:
            payload = self.poster.render(content_of(selection.load_view(session, alert)))
        try:
            channel, ts = self.poster.post(payload)
        except PostRefused as exc:
            log.warning("alert %s was refused (%s); trying again later", alert.key, exc)
            with transaction(self.sessions) as session:
                row = session.get(Alert, alert.id)
                detail = _detail(row)
                detail["attempts"] = int(detail.get("attempts", 0)) + 1
                detail["error"] = str(exc)
                row.detail = json.dumps(detail, sort_keys=True)
                row.state = selection.PENDING
                row.updated_at = now
            report.refused.append(alert.key)
            return
        with transaction(self.sessions) as session:
            row = session.get(Alert, alert.id)
            detail = _detail(row)
            detail.pop("error", None)
            detail["fp"] = fingerprint(payload)
            row.detail = json.dumps(detail, sort_keys=True)
            row.channel, row.ts = channel, ts
            row.state = selection.POSTED
            row.posted_at = row.updated_at = now
        report.posted.append(alert.key)

    def _retry_refused(self, now: datetime, report: DispatchReport) -> None:
        with self.sessions() as session:
            waiting = queries.alerts_in_state(
                session,
                shop_id=self.shop_id,
                state=selection.PENDING,
                updated_before=now - RETRY_AFTER,
                limit=50,
            )
        for alert in waiting:
            attempts = int(_detail(alert).get("attempts", 1))
            pause = min(RETRY_AFTER * 2 ** max(attempts - 1, 0), RETRY_MAX)
            if now - as_utc(alert.updated_at) < pause:
                continue
            with transaction(self.sessions) as session:
                mine = queries.move_alert(
                    session,
                    alert_id=alert.id,
                    from_state=selection.PENDING,
                    to_state=selection.POSTING,
                    now=now,
                )
            if mine:
                self._post(alert, now, report)

    # updating in place

    def _update_changed(self, now: datetime, report: DispatchReport, dirty: set[str]) -> None:
        with self.sessions() as session:
            if self._seen_event is None:
                # First run in this process: look again at recent history (a restart may have
                # come between a change and its update).
                self._seen_event = max(queries.last_event_id(session) - 2000, 0)
            after = max(self._seen_event - EVENT_OVERLAP, 0)
            events = queries.events_after(session, after_id=after, limit=5000)
            fresh = [e for e in events if e.id not in self._recent_events]
            order_ids = {e.order_id for e in fresh}
            shown = queries.alerts_of_orders(
                session, shop_id=self.shop_id, order_ids=order_ids, states=selection.SHOWN
            )
            keys = [a.key for a in shown if a.ts] + sorted(dirty | self._stale)
        self._stale = set()
        ordered = list(dict.fromkeys(keys))
        for index, key in enumerate(ordered):
            done = update_message(self.sessions, self.poster, key=key, now=now)
            if done:
                report.updated.append(key)
            elif done is None:  # refused (rate limited, …): this and the rest wait a run
                self._stale = set(ordered[index:])
                break
        if events:
            self._seen_event = max(self._seen_event, events[-1].id)
        floor = self._seen_event - EVENT_OVERLAP
        self._recent_events = {e.id for e in events if e.id > floor} | {
            i for i in self._recent_events if i > floor
        }


# --- the daily digest ------------------------------------------------------------------------


def post_digest(
    sessions: SessionFactory, poster: Poster, *, shop_id: int, now: datetime, zone
) -> bool:
    """Post the digest for `now`'s local day, once (its key is the day). True when posted."""
    with sessions() as session:
        view = selection.load_digest(session, shop_id=shop_id, now=now, zone=zone)
    key = selection.key_for(selection.DIGEST, view.day)
    row = Alert(
        shop_id=shop_id,
        key=key,
        kind=selection.DIGEST,
        state=selection.POSTING,
        detail="{}",
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction(sessions) as session:
            queries.insert_alerts(session, alerts=[row])
    except IntegrityError:
        log.info("the digest for %s was posted already", view.day)
        return False
    payload = poster.render(digest_content(view))
    try:
        channel, ts = poster.post(payload)
    except PostRefused as exc:
        log.warning("the digest for %s was refused: %s", view.day, exc)
        with transaction(sessions) as session:
            session.delete(session.get(Alert, row.id))  # not posted: the next run may try
        return False
    with transaction(sessions) as session:
        stored = session.get(Alert, row.id)
        stored.channel, stored.ts = channel, ts
        stored.state = selection.POSTED
        stored.posted_at = stored.updated_at = now
    return True
