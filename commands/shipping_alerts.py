"""What the ship-by deadline alert and the digest's shipping line say (SPEC §4.1)."""

from commands import actions, shipping_views, views
from commands.alert_layout import alert
from commands.replies import Button, Byline, Heading, KeyValues, Paragraph, Reply
from storage.models import Order
from storage.states import AlertState, EventKind
from sync import sections
from sync.alerts import AlertView, DigestView


def ship_deadline(view: AlertView, order: Order) -> Reply:
    """Told once, the ship-by time near; kept up to date until the order ships. It shows
    times, never a countdown, so the message changes only when the order does."""
    oid, facts = order.tiktok_order_id, view.shipping
    still = shipping_views.to_ship(order, facts)
    ship_by = shipping_views.when(facts.ship_by if facts else None)
    if still:
        title = f"Ship order {oid} by {ship_by}"
        text = f"{title}: TikTok counts a later dispatch as late"
    else:
        title = f"Order {oid}: {sections.Section(order.section).title}"
        text = f"{title} (its ship-by time was {ship_by})"
    shown = [("Ship by", ship_by)]
    if facts and facts.auto_cancel_at and still:
        shown.append(("TikTok cancels it", f"{shipping_views.when(facts.auto_cancel_at)}"))
    shown += [
        ("Items", views.line_items(view.lines, view.reservations) or "—"),
        ("Price", views.price(order)),
        ("Status", views.tiktok_status_text(order)),
    ]
    if facts and facts.tracking_number:
        shown.append(("Tracking", f"{facts.provider_name or 'carrier'} {facts.tracking_number}"))
    bylines = []
    shipped = next((e for e in view.events if e.kind == EventKind.SHIPPED), None)
    if shipped is not None:
        bylines.append(Byline("Shipped by ", shipped.actor, f" at {views.when(shipped.at)}"))
    if view.state == AlertState.HANDLED and view.handled_by:
        bylines.append(Byline("Handled by ", view.handled_by))
    view_button = Button("View", actions.VIEW_ORDER, oid)
    buttons: tuple[Button, ...] = (view_button,)
    if still and view.state != AlertState.HANDLED:
        buttons = (
            Button("Ship…", actions.SHIP_START, oid, style="primary"),
            Button("Mark handled", actions.MARK_HANDLED, view.key),
            view_button,
        )
    return alert(text, (Heading(title), KeyValues(tuple(shown))), bylines, buttons)


def digest_line(view: DigestView) -> Paragraph:
    if not (view.ships_due_today or view.ships_late):
        return Paragraph("To ship: nothing is due today and nothing is late.")
    return Paragraph(
        f"To ship: {view.ships_due_today} due today, {view.ships_late} late "
        "(past the ship-by time). /orders due lists them."
    )
