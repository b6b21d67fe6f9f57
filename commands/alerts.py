"""What each channel alert says, as a renderer-neutral `Reply` (Slack and the terminal render it).

`content_of` builds one alert from what `sync.alerts.load_view` loaded (an order's alert, a
summary of new orders, a group of failed ones); `digest_content` builds the daily digest. Who
changed an order since is a `Byline`, so Slack can mention the person. Every alert orders its
buttons alike: what fixes it, then Cancel…, Mark handled, and View last.
"""

from datetime import timedelta

from commands import actions, failure_groups, request_alerts, shipping_alerts, stock, views, words
from commands.alert_layout import alert, map_buttons
from commands.replies import (
    Block,
    Button,
    Byline,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    Table,
)
from storage.models import Order, Reservation
from storage.states import Actor, AlertKind, AlertState, EventKind
from sync import sections
from sync.alerts import AlertView, DigestView
from sync.clock import as_utc

SUMMARY_ROWS = 10

_INITIATOR = {
    "BUYER": "the buyer",
    "SYSTEM": "TikTok",
    "OPERATOR": "TikTok",
    "SELLER": "the seller",
}
_ACTOR_WORDS = {
    Actor.CLI: "the orderbot operator",
    Actor.SYSTEM: "orderbot",
    Actor.TIKTOK: "TikTok",
}
_STOCK_WORDS = {
    "reserved": "reserved",
    "planned": "being reserved",
    "restoring": "being given back",
    "restored": "given back",
    "restore_failed": "NOT given back (do it by hand)",
    "abandoned": "not reserved",
}


def content_of(view: AlertView) -> Reply:
    if view.kind == AlertKind.NEW_ORDERS:
        return _summary(view)
    if view.kind == AlertKind.PLACEMENT_FAILURES:
        return failure_groups.content_of(view)
    if view.kind in (AlertKind.STOCK_PUSH_FAILED, AlertKind.STOCK_UNMATCHED):
        return stock.alert_content(view)
    if view.kind in (AlertKind.REQUEST, AlertKind.REQUEST_REMINDER):
        return request_alerts.content_of(view)
    order = view.order
    if order is None:
        text = "This alert's order is no longer known."
        return alert(text, (Paragraph(text),))
    build = {
        AlertKind.NEW_ORDER: _new_order,
        AlertKind.PLACEMENT_FAILED: _placement_failed,
        AlertKind.DELIVERY_FAILED: _delivery_failed,
        AlertKind.ORDER_CANCELLED: _cancelled,
        AlertKind.SHIP_DEADLINE: shipping_alerts.ship_deadline,
    }.get(view.kind, _new_order)
    return build(view, order)


def _fixes(view: AlertView, order: Order) -> tuple[Button, ...]:
    """The order's buttons, its Map buttons only for the SKUs that failed (when known)."""
    buttons = views.order_buttons(order, view.lines)
    if not view.failed_skus:
        return buttons
    kept = tuple(b for b in buttons if b.action_id != actions.MAP_SKU_START)
    return kept + map_buttons(view.failure_reason, view.failed_skus)


def _view_button(order: Order) -> Button:
    return Button("View", actions.VIEW_ORDER, order.tiktok_order_id)


def _items(view: AlertView) -> str:
    return views.line_items(view.lines, view.reservations) or "—"


def _status(order: Order) -> str:
    """The section, TikTok's status where it says more, and orderbot's reason, in words."""
    title = sections.Section(order.section).title
    parts = [title]
    tiktok, _, mark = views.tiktok_status_text(order).partition(" · ")  # mark: a return's
    if tiktok.lower() != title.lower():
        parts.append(tiktok)
    if mark:
        parts.append(mark)
    cancelled = order.tiktok_status == sections.CANCELLED
    if order.failure_reason and not (
        cancelled and order.failure_reason not in sections.DELIVERY_FAILURES
    ):  # a cancellation's reason is told by its byline or its own alert
        parts.append(words.reason(order.failure_reason))
    return " · ".join(parts)


def _first_failure(event) -> str:
    return words.event(event) if event else "—"


def _cancel_reason(order: Order) -> str:
    return order.cancel_reason or words.cancel_reason(order.cancel_reason_key) or "no reason given"


def _canceller(order: Order) -> str:
    """Who TikTok says cancelled the order, in words."""
    return _INITIATOR.get((order.cancel_initiator or "").upper(), "TikTok")


def _who(actor: str | None) -> str | None:
    """An actor as a byline names it: a Slack user id stays one (a mention), the rest in words."""
    return None if actor is None else _ACTOR_WORDS.get(actor, actor)


def _stock(reservations: list[Reservation]) -> str:
    """What happened to the order's units on Etsy, by reservation state."""
    grouped: dict[str, dict[tuple[str, int], int]] = {}
    for r in reservations:
        units = grouped.setdefault(_STOCK_WORDS.get(r.state, r.state), {})
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
    if order.tiktok_status == sections.CANCELLED and view.kind != AlertKind.ORDER_CANCELLED:
        reason = _cancel_reason(order)
        if order.cancel_requested_by:
            out.append(Byline("Cancelled by ", _who(order.cancel_requested_by), f": {reason}"))
        else:
            out.append(Byline(f"Cancelled by {_canceller(order)}: {reason}"))
    for kind, verb in ((EventKind.RETRY, "Retried by "), (EventKind.RESTOCK, "Restock asked by ")):
        event = _latest(view, kind)
        if event and view.kind in (AlertKind.PLACEMENT_FAILED, AlertKind.DELIVERY_FAILED):
            out.append(Byline(verb, _who(event.actor), f" at {views.when(event.at)}"))
    if view.state == AlertState.HANDLED and view.handled_by:
        out.append(Byline("Handled by ", _who(view.handled_by)))
    return out


def _new_order(view: AlertView, order: Order) -> Reply:
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
    # Failures have alerts (and buttons) of their own; a new order offers to ship or cancel it.
    acts = [
        b
        for b in views.order_buttons(order, view.lines, view.shipping)
        if b.action_id in (actions.CANCEL_START, actions.SHIP_START)
    ]
    buttons = (_view_button(order), *acts)
    return alert(
        text,
        (Heading(f"New order {order.tiktok_order_id}"), KeyValues(facts)),
        _bylines(view, order),
        buttons if view.state != AlertState.HANDLED else (_view_button(order),),
    )


def _placement_failed(view: AlertView, order: Order) -> Reply:
    oid = order.tiktok_order_id
    failing = order.placement == "failed" and order.failure_reason in sections.PLACEMENT_FAILURES
    first = next((e for e in reversed(view.events) if e.kind == "placement_failed"), None)
    if failing:
        title = f"Order {oid} could not be placed on Etsy"
        why = words.reason(order.failure_reason)
        text = f"{title}: {why} — {order.failure_detail or ''}".rstrip(" —")
    else:
        title = f"Order {oid}: {views.placement_text(order)}"
        text = f"{title} (its placement had failed)"
    facts = (
        (
            "Reason",
            words.reason(order.failure_reason)
            if failing
            else f"no longer failing: {views.placement_text(order)}",
        ),
        (
            "Why",
            (order.failure_detail or "—") if failing else (words.event(first) if first else "—"),
        ),
        ("TikTok SKUs", ", ".join(views.tiktok_skus(view.lines)) or "—"),
        ("Price", views.price(order)),
        ("Status", _status(order)),
    )
    buttons = (*_fixes(view, order), _view_button(order))
    if view.state == AlertState.HANDLED:
        buttons = (_view_button(order),)
    return alert(text, (Heading(title), KeyValues(facts)), _bylines(view, order), buttons)


def _delivery_failed(view: AlertView, order: Order) -> Reply:
    oid = order.tiktok_order_id
    title = f"Delivery failed: order {oid}"
    reason = words.reason(order.failure_reason or "delivery_failed")
    facts = (
        ("Reason", reason),
        ("TikTok says", _cancel_reason(order)),
        ("Items", ", ".join(views.tiktok_skus(view.lines)) or "—"),
        ("Etsy stock", _stock(view.reservations) or views.placement_text(order)),
        ("Status", _status(order)),
    )
    buttons: tuple[Button, ...] = (_view_button(order),)
    if view.state != AlertState.HANDLED:
        restock = tuple(
            b for b in views.order_buttons(order, view.lines) if b.action_id == actions.RESTOCK
        )
        buttons = (
            *restock,
            Button("Mark handled", actions.MARK_HANDLED, view.key),
            _view_button(order),
        )
    return alert(
        f"{title} ({reason}); the units wait for a restock when the parcel is back",
        (Heading(title), KeyValues(facts)),
        _bylines(view, order),
        buttons,
    )


def _cancelled(view: AlertView, order: Order) -> Reply:
    title = f"Order {order.tiktok_order_id} cancelled by {_canceller(order)}"
    stock = _stock(view.reservations) or views.placement_text(order)
    facts = (
        ("Reason", _cancel_reason(order)),
        ("Etsy stock", stock),
        ("Price", views.price(order)),
    )
    return alert(
        f"{title}. Etsy stock: {stock}",
        (Heading(title), KeyValues(facts)),
        _bylines(view, order),
        (_view_button(order),),
    )


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"


def _summary(view: AlertView) -> Reply:
    n = view.member_count
    rows = tuple(
        (o.tiktok_order_id, views.fulfilled_by(o), views.price(o), views.placement_text(o))
        for o in view.members[:SUMMARY_ROWS]
    )
    # The window says why this count differs from a fetch's "New": older orders are not news.
    title = f"{n} new TikTok orders" + (f" in the last {_span(view.window)}" if view.window else "")
    head: list[Block] = [
        Heading(title),
        Table(("TTS order ID", "Fulfilled By", "Price", "On Etsy"), rows),
    ]
    if n > len(rows):
        head.append(Paragraph(f"… and {n - len(rows)} more."))
    return alert(
        title,
        tuple(head),
        buttons=(Button("View all", actions.VIEW_ALL_NEW, view.key, style="primary"),),
    )


def digest_content(view: DigestView) -> Reply:
    failed_total = sum(view.failures.values())
    reasons = ", ".join(f"{words.reason(r)} {n}" for r, n in sorted(view.failures.items()))
    head: list[Block] = [
        Heading(f"Daily digest — {view.day}"),
        Paragraph(views.counts_line(view.counts)),
        Heading(f"Failed: {failed_total}" + (f" ({reasons})" if reasons else "")),
    ]
    if view.failed:
        head.append(
            Table(
                ("TTS order ID", "Reason", "Why", "Created At"),
                tuple(
                    (
                        o.tiktok_order_id,
                        words.reason(o.failure_reason) or "—",
                        o.failure_detail or "—",
                        views.when(o.created_at),
                    )
                    for o in view.failed
                ),
            )
        )
    if view.pushes:
        failed = view.pushes.get("failed", 0)
        head.append(
            Paragraph(
                "Stock pushed to TikTok in the last 24 h: "
                + words.plural(view.pushes.get("done", 0), "SKU")
                + (f", {words.plural(failed, 'push', 'pushes')} failed" if failed else "")
            )
        )
    if view.open_requests:
        head.append(
            Paragraph(
                f"Open return, refund and cancellation requests: {view.open_requests} "
                "(/orders returns lists them, soonest deadline first)."
            )
        )
    last = view.last_fetch
    if last is not None and last.last_error:
        head.append(Paragraph(f"The last fetch stopped: {last.last_error}"))
    head.append(shipping_alerts.digest_line(view))
    head.append(Heading("Waiting longest for shipment"))
    if view.waiting:
        head.append(
            Table(
                ("TTS order ID", "Created At", "Waiting", "Price"),
                tuple(
                    (
                        o.tiktok_order_id,
                        views.when(o.created_at),
                        _waited(view, o),
                        views.price(o),
                    )
                    for o in view.waiting
                ),
            )
        )
    else:
        head.append(Paragraph("Nothing is waiting for shipment."))
    longest = _waited(view, view.waiting[0]) if view.waiting else "none"
    return alert(
        f"Daily digest {view.day}: {failed_total} failed, longest wait for shipment {longest}",
        tuple(head),
        buttons=(Button("Show failed orders", actions.PAGE, "failed|1"),) if failed_total else (),
    )


def _waited(view: DigestView, order: Order) -> str:
    """How long `order` has waited for shipment since it was paid (or created)."""
    return _age(view.now - as_utc(order.paid_at or order.created_at))


def _age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"
