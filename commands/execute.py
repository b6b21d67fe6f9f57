"""Carry out a parsed `/orders` command against the core and answer with a `Reply`."""

from commands import (
    actions,
    failure_groups,
    mappings,
    policy,
    requests,
    shipping,
    stock,
    views,
    words,
)
from commands.context import Context
from commands.offline import help_reply, invalid_reply
from commands.replies import (
    Actions,
    Button,
    Confirm,
    Form,
    Heading,
    Paragraph,
    Reply,
    SearchField,
    SelectField,
    Table,
    TextField,
)
from commands.types import (
    Cancel,
    Command,
    Due,
    Fetch,
    Help,
    Invalid,
    Map,
    Mappings,
    MarkHandled,
    Restock,
    Retry,
    RetryAll,
    ReturnApprove,
    ReturnReject,
    ReturnRestock,
    Returns,
    Ship,
    Show,
    Status,
    Stock,
    Unmap,
    ViewAllFailed,
    ViewAllNew,
)
from storage import queries
from sync import alerts, cancel_reasons, sections
from sync.engine import EngineError, OrderNotFound
from sync.errors import MarketplaceError

CANCELLABLE = sections.NOT_YET_SHIPPABLE | {sections.AWAITING_SHIPMENT}


def execute(command: Command, ctx: Context) -> Reply:
    """Never raises for what a user did wrong: the Reply says it, with ok=False."""
    if refusal := policy.refusal(command, ctx.actor):
        return refusal
    try:
        return _HANDLERS[type(command)](command, ctx)
    except OrderNotFound as exc:
        order_id = getattr(command, "order_id", None)
        return refuse(words.not_found(order_id) if order_id else str(exc))
    except EngineError as exc:
        return refuse(str(exc))
    except MarketplaceError as exc:
        return refuse(f"{exc} — nothing was changed on our side; try again in a moment.")


def refuse(message: str) -> Reply:
    return Reply(text=message, blocks=(Paragraph(message),), ok=False)


def _help(_command: Help, _ctx: Context) -> Reply:
    return help_reply()


def _invalid(command: Invalid, _ctx: Context) -> Reply:
    return invalid_reply(command)


def _fetch(_command: Fetch, ctx: Context) -> Reply:
    summary = ctx.services.engine.fetch(progress=ctx.progress)
    return views.fetch_summary(summary)


def _status(command: Status, ctx: Context) -> Reply:
    services = ctx.services
    section = command.section.value if command.section else None
    with services.sessions() as session:
        counts = queries.section_counts(session, shop_id=services.shop_id)
        orders = queries.page_of_orders(
            session,
            shop_id=services.shop_id,
            section=section,
            page=command.page,
            page_size=views.PAGE_SIZE,
        )
        ids = [order.id for order in orders]
        lines = queries.lines_of(session, order_ids=ids)
        reservations = queries.reservations_of(session, order_ids=ids)
        ship_facts = queries.shipping_of(session, order_ids=ids)
    return views.grid(
        section=command.section,
        page=command.page,
        counts=counts,
        orders=orders,
        lines=lines,
        reservations=reservations,
        shipping=ship_facts,
        now=services.clock(),
    )


def _show(command: Show, ctx: Context) -> Reply:
    services = ctx.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=command.order_id
        )
        if order is None:
            return refuse(words.not_found(command.order_id))
        lines = queries.lines_of(session, order_ids=[order.id])[order.id]
        reservations = queries.reservations_of(session, order_ids=[order.id])[order.id]
        events = queries.events_of(session, order_id=order.id)
        pushes = queries.pushes_of_skus(
            session,
            shop_id=services.shop_id,
            seller_skus={line.seller_sku for line in lines if line.seller_sku},
            limit=5,
        )
        asked = queries.requests_of_order(session, order_id=order.id)
        ship_facts = queries.shipping_of(session, order_ids=[order.id]).get(order.id)
    detail = views.order_detail(
        order, lines, reservations, events, asked, shipping=ship_facts, now=services.clock()
    )
    return stock.with_pushes(detail, pushes)


def _cancel(command: Cancel, ctx: Context) -> Reply:
    order = ctx.services.engine.order(command.order_id)
    if order.tiktok_status not in CANCELLABLE:
        return refuse(
            f"Order {order.tiktok_order_id} is {views.tiktok_status_text(order)}; TikTok lets a "
            "seller cancel only orders that have not shipped (unpaid, on hold or awaiting "
            "shipment)."
        )
    choices = cancel_reasons.reasons_for(order.tiktok_status)
    if command.reason is None:
        return Reply(
            text=f"Pick a reason to cancel order {order.tiktok_order_id}",
            form=Form(
                title="Cancel order",
                submit="Cancel order",
                callback_id=actions.CANCEL_FORM,
                private_metadata=order.tiktok_order_id,
                intro=f"Cancel TikTok order {order.tiktok_order_id} "
                f"({views.price(order)}). TikTok tells the buyer; Etsy stock comes back.",
                fields=(
                    SelectField(
                        "reason", "Reason", tuple((reason.key, reason.label) for reason in choices)
                    ),
                ),
                pick="to cancel with that reason, or anything else to keep the order",
                typed=f"/orders cancel {order.tiktok_order_id} {{choice}}",
            ),
        )
    reason = cancel_reasons.resolve(command.reason, order.tiktok_status)
    if reason is None:
        labels = "; ".join(choice.label for choice in choices)
        return refuse(
            f"“{command.reason[:80]}” is not a cancel reason TikTok accepts for this order. "
            f"Use one of: {labels}."
        )
    if not (ctx.confirmed or ctx.actor.trusted):
        question = f"Cancel order {order.tiktok_order_id} on TikTok Shop: {reason.label}?"
        return Reply(
            text=question,
            blocks=(
                Paragraph(question),
                Actions(
                    (
                        Button(
                            "Cancel order",
                            actions.CANCEL_CONFIRM,
                            f"{order.tiktok_order_id}|{reason.key}",
                            style="danger",
                            confirm=Confirm("Cancel the order?", question, "Cancel it", "Keep it"),
                        ),
                    )
                ),
            ),
        )
    held = order.tiktok_status in sections.NOT_YET_SHIPPABLE
    done = ctx.services.engine.cancel(order.tiktok_order_id, reason.key, actor=ctx.actor.id)
    text = (
        f"Order {done.tiktok_order_id} cancelled on TikTok Shop ({reason.label}). "
        f"Etsy stock: {views.stock_text(done, was_on_hold=held)}."
    )
    return Reply(text=text, blocks=(Paragraph(text),), public=True)


def _map(command: Map, ctx: Context) -> Reply:
    if command.etsy_sku is None:
        return Reply(
            text=f"Map TikTok SKU {command.tiktok_sku} to an Etsy SKU",
            form=Form(
                title="Map a SKU",
                submit="Map and retry",
                callback_id=actions.MAP_SKU_FORM,
                private_metadata=command.tiktok_sku,
                intro="Record which Etsy SKU sells this TikTok SKU. Orders that failed on it "
                "are retried right after.",
                fields=(
                    TextField("tiktok_sku", "TikTok SKU", initial=command.tiktok_sku),
                    SearchField(
                        actions.ETSY_SKU_FIELD,
                        "Etsy SKU",
                        placeholder="Type part of the SKU on the Etsy listing",
                    ),
                ),
            ),
        )
    orders = ctx.services.engine.map_sku(command.tiktok_sku, command.etsy_sku, actor=ctx.actor.id)
    head = f"Mapped TikTok SKU {command.tiktok_sku} → Etsy SKU {command.etsy_sku}."
    if not orders:
        text = f"{head} No failed orders were waiting on it."
        return Reply(text=text, blocks=(Paragraph(text),), public=True)
    placed = [o for o in orders if o.placement in ("placed", "placing")]
    still = [o for o in orders if o.placement == "failed"]
    queued = len(orders) - len(placed) - len(still)  # another worker is placing them
    text = (
        f"{head} Retried {words.plural(len(orders), 'order')}: {len(placed)} placed, "
        f"{len(still)} still failed" + (f", {queued} queued." if queued else ".")
    )
    rows = tuple(
        (o.tiktok_order_id, views.placement_text(o), o.failure_detail or "") for o in orders
    )
    return Reply(
        text=text,
        blocks=(Paragraph(text), Table(("Order", "On Etsy", "Why"), rows)),
        public=True,
    )


def _unmap(command: Unmap, ctx: Context) -> Reply:
    etsy_sku = ctx.services.engine.unmap_sku(command.tiktok_sku, actor=ctx.actor.id)
    text = (
        f"Removed the mapping of TikTok SKU {command.tiktok_sku} (it was mapped to Etsy SKU "
        f"{etsy_sku}). Its new orders are matched to the Etsy SKU of the same name; orders "
        "already placed keep their stock."
    )
    return Reply(text=text, blocks=(Paragraph(text),), public=True)


def _retry(command: Retry, ctx: Context) -> Reply:
    order = ctx.services.engine.retry(command.order_id, actor=ctx.actor.id)
    if order.placement == "failed":
        text = f"Order {order.tiktok_order_id} still cannot be placed: {order.failure_detail}"
        return Reply(text=text, blocks=(Paragraph(text),), ok=False)
    text = f"Order {order.tiktok_order_id}: {views.placement_text(order)}."
    return Reply(text=text, blocks=(Paragraph(text),), public=True)


def _restock(command: Restock, ctx: Context) -> Reply:
    order = ctx.services.engine.restock(command.order_id, actor=ctx.actor.id)
    text = f"Order {order.tiktok_order_id}: {views.placement_text(order)}."
    return Reply(text=text, blocks=(Paragraph(text),), public=True)


def _mark_handled(command: MarkHandled, ctx: Context) -> Reply:
    services = ctx.services
    result = alerts.mark_handled(
        services.sessions,
        shop_id=services.shop_id,
        key=command.alert_key,
        actor=ctx.actor.id,
        now=services.clock(),
    )
    alert = result.alert
    if alert is None:
        return refuse("That alert is no longer known; nothing was changed.")
    subject = alerts.subject_of(alert.key)
    if not result.done:
        if alert.state == alerts.AlertState.HANDLED:
            return refuse(
                f"That alert (order {subject}) was already marked handled by {alert.handled_by}."
            )
        return refuse(f"That alert (order {subject}) cannot be marked handled yet.")
    services.alert_changed(alert.key)  # the outbox updates its message now
    text = f"Marked the alert for order {subject} handled."
    return Reply(text=text, blocks=(Paragraph(text),))


def _view_all_new(command: ViewAllNew, ctx: Context) -> Reply:
    services = ctx.services
    with services.sessions() as session:
        summary = alerts.load_summary(session, shop_id=services.shop_id, key=command.alert_key)
    if summary is None:
        return refuse("That summary of new orders is no longer known.")
    table = views.grid_table(summary.orders, summary.lines, summary.reservations)
    title = words.plural(len(table.rows), "new order")
    return Reply(text=title, blocks=(Heading(title), table))


_HANDLERS = {
    Help: _help,
    Invalid: _invalid,
    Fetch: _fetch,
    Status: _status,
    Show: _show,
    Cancel: _cancel,
    Map: _map,
    Mappings: mappings.mapping_list,
    Unmap: _unmap,
    Retry: _retry,
    Restock: _restock,
    MarkHandled: _mark_handled,
    ViewAllNew: _view_all_new,
    RetryAll: failure_groups.retry_all,
    ViewAllFailed: failure_groups.view_all,
    Stock: stock.stock,
    Returns: requests.returns_list,
    ReturnApprove: requests.approve,
    ReturnReject: requests.reject,
    ReturnRestock: requests.restock,
    Ship: shipping.ship,
    Due: shipping.due,
}
