"""`ship` and `due` (SPEC §4.1): send tracking to TikTok Shop, and the orders still to ship."""

from commands import actions, shipping_views, views, words
from commands.context import Context
from commands.replies import (
    Actions,
    Button,
    ChoicesField,
    Form,
    Heading,
    Paragraph,
    Reply,
    SelectField,
    Table,
    TextField,
)
from commands.types import Due, Ship
from storage import queries
from sync.alerts.deadlines import deadline_key
from sync.engine import ShipOutcome, ShipPlan
from sync.shipping import TO_SHIP, TO_SHIP_SECTIONS
from sync.tiktok.models import ShippingType

DUE_PAGE_SIZE = 20
DUE_COLUMNS = ("TTS order ID", "Ship By", "Time Left", "TikTok Cancels At", "Order Status")


def ship(command: Ship, ctx: Context) -> Reply:
    engine = ctx.services.engine
    if command.carrier is None or command.tracking_number is None:
        return _form(engine.ship_plan(command.order_id), ctx)
    outcome = engine.ship(
        command.order_id,
        command.carrier,
        command.tracking_number,
        line_ids=list(command.line_ids) or None,
        actor=ctx.actor.id,
    )
    if outcome.how != "already":
        ctx.services.alert_changed(deadline_key(outcome.order.tiktok_order_id))
    return _answer(outcome)


def _answer(outcome: ShipOutcome) -> Reply:
    oid = outcome.order.tiktok_order_id
    carrier = f"{outcome.provider_name} {outcome.tracking_number}"
    if outcome.how == "already":
        text = f"Order {oid} is already shipped with {carrier}; nothing was sent to TikTok."
        return Reply(text=text, blocks=(Paragraph(text),))
    if outcome.how == "corrected":
        text = (
            f"Order {oid}: tracking corrected to {carrier} on TikTok Shop. TikTok allows no "
            "further correction."
        )
    elif outcome.how == "partly_shipped":
        text = (
            f"{words.plural(outcome.items, 'item')} of order {oid} shipped with {carrier} on "
            "TikTok Shop; the rest is still to ship."
        )
    else:
        text = f"Order {oid} shipped with {carrier} on TikTok Shop: now Awaiting Collection."
    blocks: list = [Paragraph(text)]
    if outcome.warning:
        blocks.append(
            Paragraph(
                f"TikTok warns: {outcome.warning.rstrip('.')}. Check the tracking number and the "
                f"carrier; /orders ship {oid} <carrier> <tracking_number> corrects it once, "
                "within 72 hours of shipping."
            )
        )
    blocks.append(Actions((Button("View order", actions.VIEW_ORDER, oid),)))
    return Reply(text=text, blocks=tuple(blocks), public=True)


def _form(plan: ShipPlan, ctx: Context) -> Reply:
    order = plan.order
    oid = order.tiktok_order_id
    with ctx.services.sessions() as session:
        facts = queries.shipping_of(session, order_ids=[order.id]).get(order.id)
    fields: list = [
        SelectField(
            actions.SHIP_CARRIER_FIELD, "Carrier", tuple((p.id, p.name) for p in plan.providers)
        ),
        TextField(
            actions.SHIP_TRACKING_FIELD,
            "Tracking number",
            placeholder="Letters and digits, as on the label",
        ),
    ]
    if plan.correcting:
        shipped = f"{facts.provider_name} {facts.tracking_number}" if facts else "a carrier"
        intro = (
            f"Order {oid} has shipped ({shipped}). TikTok allows one tracking correction, within "
            "72 hours of shipping."
        )
        title, submit = "Correct tracking", "Correct"
    else:
        ship_by = shipping_views.ship_by_text(facts, ctx.services.clock())
        intro = (
            f"Ship TikTok order {oid} ({views.price(order)}), ship by {ship_by}. The tracking "
            "number goes to TikTok Shop and the order moves to Awaiting Collection."
        )
        title, submit = "Ship order", "Ship"
        if len(plan.lines) > 1:
            fields.append(
                ChoicesField(
                    actions.SHIP_ITEMS_FIELD,
                    "Ship only these items (none picked: all of them)",
                    tuple((line.tiktok_line_id, _line_label(line)) for line in plan.lines),
                )
            )
    return Reply(
        text=f"{title}: order {oid}",
        form=Form(
            title=title,
            submit=submit,
            callback_id=actions.SHIP_FORM,
            private_metadata=oid,
            intro=intro,
            fields=tuple(fields),
            typed=f"/orders ship {oid} {{choice}} <tracking_number>",
        ),
    )


def _line_label(line) -> str:
    name = line.product_name or line.sku_name
    sku = line.seller_sku or line.sku_id
    return f"{sku} · {name}" if name else sku


def due(command: Due, ctx: Context) -> Reply:
    services = ctx.services
    now = services.clock()
    where = {
        "shop_id": services.shop_id,
        "statuses": TO_SHIP,
        "sections": TO_SHIP_SECTIONS,
        "shipping_type": ShippingType.SELLER,
    }
    with services.sessions() as session:
        total = queries.count_to_ship(session, **where)
        late = queries.count_to_ship(session, **where, ship_by_before=now)
        rows = queries.orders_to_ship(session, **where, page=command.page, page_size=DUE_PAGE_SIZE)
    pages = max(1, -(-total // DUE_PAGE_SIZE))
    title = "Orders to ship"
    if not rows:
        text = (
            "No orders are waiting to be shipped by you."
            if total == 0
            else f"{title}: page {command.page} is past the end ({words.plural(pages, 'page')})."
        )
        return Reply(text=text, blocks=(Heading(title), Paragraph(text)))
    table = Table(
        DUE_COLUMNS,
        tuple(
            (
                order.tiktok_order_id,
                shipping_views.when(facts.ship_by),
                shipping_views.time_left(facts.ship_by, now),
                shipping_views.when(facts.auto_cancel_at),
                views.tiktok_status_text(order),
            )
            for order, facts in rows
        ),
        menus=tuple(views.row_menu(order, facts) for order, facts in rows),
    )
    summary = f"{words.plural(total, 'order')} to ship, {late} overdue"
    blocks: list = [
        Heading(f"{title} — page {command.page} of {pages} ({summary})"),
        Paragraph(
            "Soonest ship-by time first. TikTok counts a dispatch after the ship-by time as "
            "late, and cancels an order not shipped by its cancel time."
        ),
        table,
    ]
    buttons = []
    if command.page > 1:
        buttons.append(Button("Previous", actions.DUE_PAGE, str(command.page - 1)))
    if command.page < pages:
        buttons.append(Button("Next", actions.DUE_PAGE, str(command.page + 1)))
    if buttons:
        blocks.append(Actions(tuple(buttons)))
    return Reply(text=f"{title}: {summary}", blocks=tuple(blocks))
