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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot import render
from bot.render import limits
from bot.render.text import escape
from commands import actions, views
from commands.replies import (
    Actions,
    Block,
    Button,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    Table,
)
from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Alert, Order, Reservation
from sync import alerts as selection
from sync import sections
from sync.alerts import AlertView, DigestView
from sync.clock import Clock, as_utc

log = logging.getLogger(__name__)

SUMMARY_ROWS = 10
RETRY_AFTER = timedelta(seconds=30)  # a refused post waits this, doubled per attempt …
RETRY_MAX = timedelta(minutes=30)  # … up to this
EVENT_OVERLAP = 50  # event ids re-read each run: PostgreSQL may commit ids out of order

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_INITIATOR = {
    "BUYER": "the buyer",
    "SYSTEM": "TikTok",
    "OPERATOR": "TikTok",
    "SELLER": "the seller",
}


# --- content -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Byline:
    """ "<before><who><after>": who did something, as a Slack mention where it is a Slack user."""

    before: str
    actor: str | None = None  # a Slack user id, "cli", "orderbot", …; None: no one named
    after: str = ""

    @property
    def mentions(self) -> bool:
        return bool(self.actor and _SLACK_USER.match(self.actor))

    def plain(self) -> str:
        who = f"@{self.actor}" if self.mentions else _actor_text(self.actor)
        return f"{self.before}{who}{self.after}"

    def mrkdwn(self) -> str:
        who = f"<@{self.actor}>" if self.mentions else escape(_actor_text(self.actor))
        return f"{escape(self.before)}{who}{escape(self.after)}"


def _actor_text(actor: str | None) -> str:
    if actor is None:
        return ""
    return {"cli": "the orderbot operator", "orderbot": "orderbot", "tiktok": "TikTok"}.get(
        actor, actor
    )


@dataclass(frozen=True)
class AlertContent:
    text: str
    head: tuple[Block, ...]
    bylines: tuple[Byline, ...] = ()
    buttons: tuple[Button, ...] = ()

    def reply(self) -> Reply:
        """As one Reply (the terminal, and tests); bylines as plain paragraphs."""
        blocks = list(self.head) + [Paragraph(b.plain()) for b in self.bylines]
        if self.buttons:
            blocks.append(Actions(self.buttons))
        return Reply(text=self.text, blocks=tuple(blocks), public=True)

    def slack_message(self) -> dict:
        """`text` and `blocks` for chat.postMessage / chat.update: bylines mention people."""
        head = Reply(text=self.text, blocks=self.head, public=True)
        message = render.message(head)
        blocks = message["blocks"]
        blocks += [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": b.mrkdwn()}]}
            for b in self.bylines
        ]
        if self.buttons:
            blocks += render.render_blocks((Actions(self.buttons),), "message")
        message["blocks"] = blocks[: limits.MESSAGE_BLOCKS]
        return message


def content_of(view: AlertView) -> AlertContent:
    if view.kind == selection.NEW_ORDERS:
        return _summary(view)
    order = view.order
    if order is None:
        text = "This alert's order is no longer known."
        return AlertContent(text=text, head=(Paragraph(text),))
    build = {
        selection.NEW_ORDER: _new_order,
        selection.PLACEMENT_FAILED: _placement_failed,
        selection.DELIVERY_FAILED: _delivery_failed,
        selection.ORDER_CANCELLED: _cancelled,
    }.get(view.kind, _new_order)
    return build(view, order)


def _view_button(order: Order) -> Button:
    return Button("View", actions.VIEW_ORDER, order.tiktok_order_id)


def _items(view: AlertView) -> str:
    return views.line_items(view.lines, view.reservations) or "—"


def _status(order: Order) -> str:
    title, status = sections.Section(order.section).title, views.status_text(order)
    return title if status.lower() == title.lower() else f"{title} · {status}"


def _stock(reservations: list[Reservation]) -> str:
    """What happened to the order's units on Etsy, by reservation state."""
    words = {
        "reserved": "reserved",
        "planned": "being reserved",
        "restoring": "being given back",
        "restored": "given back",
        "restore_failed": "NOT given back (do it by hand)",
        "abandoned": "not reserved",
    }
    grouped: dict[str, dict[tuple[str, int], int]] = {}
    for r in reservations:
        units = grouped.setdefault(words.get(r.state, r.state), {})
        units[(r.etsy_sku, r.listing_id)] = units.get((r.etsy_sku, r.listing_id), 0) + r.units
    return "; ".join(
        f"{state}: "
        + ", ".join(f"{sku} ×{n} (listing {listing})" for (sku, listing), n in units.items())
        for state, units in grouped.items()
    )


def _latest(view: AlertView, kind: str):
    return next((event for event in view.events if event.kind == kind), None)


def _bylines(view: AlertView, order: Order) -> list[Byline]:
    """Who changed the order since: cancellations, retries, restocks, "handled"."""
    out: list[Byline] = []
    if order.tiktok_status == sections.CANCELLED and view.kind != selection.ORDER_CANCELLED:
        reason = order.cancel_reason or order.cancel_reason_key or "no reason given"
        if order.cancel_requested_by:
            out.append(Byline("Cancelled by ", order.cancel_requested_by, f": {reason}"))
        else:
            who = _INITIATOR.get((order.cancel_initiator or "").upper(), "TikTok")
            out.append(Byline(f"Cancelled by {who}: {reason}"))
    for kind, verb in (("retry", "Retried by "), ("restock", "Restock asked by ")):
        event = _latest(view, kind)
        if event and view.kind in (selection.PLACEMENT_FAILED, selection.DELIVERY_FAILED):
            out.append(Byline(verb, event.actor, f" at {views.when(event.at)}"))
    if view.state == selection.HANDLED and view.handled_by:
        out.append(Byline("Handled by ", view.handled_by))
    return out


def _new_order(view: AlertView, order: Order) -> AlertContent:
    n = len(view.lines)
    facts = (
        ("Items", _items(view)),
        ("Price", views.price(order)),
        ("Fulfilled by", views.fulfilled_by(order)),
        ("Status", _status(order)),
        ("On Etsy", views.placement_text(order)),
    )
    text = (
        f"New order {order.tiktok_order_id}: {n} item{'s' if n != 1 else ''}, "
        f"{views.price(order)} — {views.placement_text(order)}"
    )
    # Failures have alerts (and buttons) of their own; a new order offers only to cancel it.
    cancel = [
        b for b in views.order_buttons(order, view.lines) if b.action_id == actions.CANCEL_START
    ]
    buttons = (_view_button(order), *cancel)
    return AlertContent(
        text=text,
        head=(Heading(f"New order {order.tiktok_order_id}"), KeyValues(facts)),
        bylines=tuple(_bylines(view, order)),
        buttons=buttons if view.state != selection.HANDLED else (_view_button(order),),
    )


def _placement_failed(view: AlertView, order: Order) -> AlertContent:
    oid = order.tiktok_order_id
    failing = order.placement == "failed" and order.failure_reason in sections.PLACEMENT_FAILURES
    first = next((e for e in reversed(view.events) if e.kind == "placement_failed"), None)
    if failing:
        title = f"Order {oid} could not be placed on Etsy"
        text = f"{title}: {order.failure_reason} — {order.failure_detail or ''}".rstrip(" —")
    else:
        title = f"Order {oid}: {views.placement_text(order)}"
        text = f"{title} (its placement had failed)"
    facts = [
        ("Reason", order.failure_reason if failing else "resolved"),
        ("Why", (order.failure_detail or "—") if failing else (first.detail if first else "—")),
        ("TikTok SKUs", ", ".join(views.tiktok_skus(view.lines)) or "—"),
        ("Price", views.price(order)),
        ("Status", _status(order)),
    ]
    buttons = (*views.order_buttons(order, view.lines), _view_button(order))
    if view.state == selection.HANDLED:
        buttons = (_view_button(order),)
    return AlertContent(
        text=text,
        head=(Heading(title), KeyValues(tuple(facts))),
        bylines=tuple(_bylines(view, order)),
        buttons=buttons,
    )


def _delivery_failed(view: AlertView, order: Order) -> AlertContent:
    oid = order.tiktok_order_id
    title = f"Delivery failed: order {oid}"
    reason = order.failure_reason or "delivery_failed"
    facts = (
        ("Reason", reason),
        ("TikTok says", order.cancel_reason or order.cancel_reason_key or "—"),
        ("Items", ", ".join(views.tiktok_skus(view.lines)) or "—"),
        ("Etsy stock", _stock(view.reservations) or views.placement_text(order)),
        ("Status", _status(order)),
    )
    buttons: tuple[Button, ...] = (_view_button(order),)
    if view.state != selection.HANDLED:
        restock = tuple(
            b for b in views.order_buttons(order, view.lines) if b.action_id == actions.RESTOCK
        )
        buttons = (
            *restock,
            Button("Mark handled", actions.MARK_HANDLED, view.key),
            _view_button(order),
        )
    return AlertContent(
        text=f"{title} ({reason}); the units wait for a restock when the parcel is back",
        head=(Heading(title), KeyValues(facts)),
        bylines=tuple(_bylines(view, order)),
        buttons=buttons,
    )


def _cancelled(view: AlertView, order: Order) -> AlertContent:
    oid = order.tiktok_order_id
    who = _INITIATOR.get((order.cancel_initiator or "").upper(), "TikTok")
    title = f"Order {oid} cancelled by {who}"
    stock = _stock(view.reservations) or views.placement_text(order)
    facts = (
        ("Reason", order.cancel_reason or order.cancel_reason_key or "—"),
        ("Etsy stock", stock),
        ("Price", views.price(order)),
    )
    return AlertContent(
        text=f"{title}. Etsy stock: {stock}",
        head=(Heading(title), KeyValues(facts)),
        bylines=tuple(_bylines(view, order)),
        buttons=(_view_button(order),),
    )


def _summary(view: AlertView) -> AlertContent:
    n = view.member_count
    rows = tuple(
        (o.tiktok_order_id, views.fulfilled_by(o), views.price(o), views.placement_text(o))
        for o in view.members[:SUMMARY_ROWS]
    )
    head: list[Block] = [
        Heading(f"{n} new TikTok orders"),
        Table(("TTS order ID", "Fulfilled By", "Price", "On Etsy"), rows),
    ]
    if n > len(rows):
        head.append(Paragraph(f"… and {n - len(rows)} more."))
    return AlertContent(
        text=f"{n} new TikTok orders",
        head=tuple(head),
        buttons=(Button("View all", actions.VIEW_ALL_NEW, view.key, style="primary"),),
    )


def digest_content(view: DigestView) -> AlertContent:
    failed_total = sum(view.failures.values())
    head: list[Block] = [
        Heading(f"Daily digest — {view.day}"),
        Paragraph(views.counts_line(view.counts)),
    ]
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(view.failures.items()))
    head.append(Heading(f"Failed: {failed_total}" + (f" ({reasons})" if reasons else "")))
    if view.failed:
        head.append(
            Table(
                ("TTS order ID", "Reason", "Why", "Created At"),
                tuple(
                    (
                        o.tiktok_order_id,
                        o.failure_reason or "—",
                        o.failure_detail or "—",
                        views.when(o.created_at),
                    )
                    for o in view.failed
                ),
            )
        )
    last = view.last_fetch
    if last is not None and last.last_error:
        head.append(Paragraph(f"The last fetch stopped: {last.last_error}"))
    head.append(Heading("Waiting longest for shipment"))
    if view.waiting:
        head.append(
            Table(
                ("TTS order ID", "Created At", "Waiting", "Price"),
                tuple(
                    (
                        o.tiktok_order_id,
                        views.when(o.created_at),
                        _age(view.now - as_utc(o.paid_at or o.created_at)),
                        views.price(o),
                    )
                    for o in view.waiting
                ),
            )
        )
    else:
        head.append(Paragraph("Nothing is waiting for shipment."))
    waiting = (
        _age(view.now - as_utc(view.waiting[0].paid_at or view.waiting[0].created_at))
        if view.waiting
        else "none"
    )
    return AlertContent(
        text=f"Daily digest {view.day}: {failed_total} failed, longest wait for shipment {waiting}",
        head=tuple(head),
        buttons=(Button("Show failed orders", actions.PAGE, "failed|1"),) if failed_total else (),
    )


def _age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


# --- where alerts go ------------------------------------------------------------------------


class PostRefused(Exception):
    """The channel refused the message (nothing was posted)."""


class Poster(Protocol):
    channel: str

    def render(self, content: AlertContent) -> Any: ...

    def post(self, payload: Any) -> tuple[str, str]:  # (channel, ts)
        ...

    def update(self, channel: str, ts: str, payload: Any) -> None: ...


class SlackPoster:
    """Posts to a Slack channel through the Web API."""

    def __init__(self, client: WebClient, channel: str):
        self.client = client
        self.channel = channel

    def render(self, content: AlertContent) -> dict:
        return content.slack_message()

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
        on_posted: Callable[[Alert, AlertContent], None] | None = None,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.poster = poster
        self.clock = clock
        self.batch_over = batch_over
        self.new_window = new_window
        self.on_posted = on_posted
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
            content = content_of(selection.load_view(session, alert))
        payload = self.poster.render(content)
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
        if self.on_posted is not None:
            self.on_posted(alert, content)

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
