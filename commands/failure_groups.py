"""Failure group alerts (`placement_failures`): what one says (`content_of`, updated in place
as its orders get fixed), and its buttons' commands, Retry all and View all. Its Map SKU… is the
ordinary `map`, which already retries every order that failed on that SKU.
"""

from commands import actions, views, words
from commands.alert_layout import alert, map_buttons
from commands.context import Context
from commands.replies import Block, Button, Heading, KeyValues, Paragraph, Reply, Table
from commands.types import RetryAll, ViewAllFailed
from storage.models import Order
from storage.states import AlertKind, FailureReason, Placement
from sync import alerts, sections
from sync.alerts import AlertView
from sync.engine import EngineError

ROWS = 10


def problem(reason: str | None, skus: tuple[str, ...], detail: str | None) -> str:
    """What a group of orders failed on, in words."""
    names = ", ".join(skus)
    one = len(skus) == 1
    if skus and reason == FailureReason.SKU_UNMATCHED:
        return (
            f"SKU {names} is on no Etsy listing" if one else f"SKUs {names} are on no Etsy listing"
        )
    if skus and reason == FailureReason.SKU_AMBIGUOUS:
        verb = "matches" if one else "match"
        return f"SKU{'' if one else 's'} {names} {verb} more than one Etsy product"
    if skus and reason == FailureReason.INSUFFICIENT_STOCK:
        return f"not enough Etsy stock of {names}"
    return f"{reason}: {detail}" if detail else str(reason)


def content_of(view: AlertView) -> Reply:
    """Orders that failed together on one problem; updated in place as they get fixed."""
    n, failing = view.member_count, view.failing
    what = problem(view.failure_reason, view.failed_skus, view.failure_detail)
    title = f"{n} orders could not be placed on Etsy"
    rows = tuple(
        (o.tiktok_order_id, views.price(o), views.placement_text(o)) for o in view.members[:ROWS]
    )
    head: list[Block] = [
        Heading(title),
        Paragraph(what),
        KeyValues((("Reason", view.failure_reason or "—"), ("Why", view.failure_detail or "—"))),
    ]
    if failing < n:
        head.append(
            Paragraph(
                f"{n - failing} of {n} no longer fail; {failing} still do."
                if failing
                else f"None of the {n} fails any more."
            )
        )
    head.append(Table(("TTS order ID", "Price", "On Etsy"), rows))
    if n > len(rows):
        head.append(Paragraph(f"… and {n - len(rows)} more."))
    view_all = Button("View all", actions.VIEW_ALL_FAILED, view.key)
    buttons: tuple[Button, ...] = (view_all,)
    if failing:
        retry = Button("Retry all", actions.RETRY_ALL, view.key, style="primary")
        buttons = (retry, *map_buttons(view.failure_reason, view.failed_skus), view_all)
    return alert(f"{n} orders could not be placed: {what}", tuple(head), buttons=buttons)


_GONE = "That alert of failed orders is no longer known; nothing was changed."


def _refuse(message: str) -> Reply:
    return Reply(text=message, blocks=(Paragraph(message),), ok=False)


def _still_failing(order: Order) -> bool:
    return (
        order.placement == Placement.FAILED and order.failure_reason in sections.PLACEMENT_FAILURES
    )


def retry_all(command: RetryAll, ctx: Context) -> Reply:
    """Place again every order of the group that still fails; each once, however often the
    button is pressed (a retry is a compare-and-set on the failed placement)."""
    services = ctx.services
    with services.sessions() as session:
        group = alerts.load_summary(
            session,
            shop_id=services.shop_id,
            key=command.alert_key,
            kind=AlertKind.PLACEMENT_FAILURES,
        )
    if group is None:
        return _refuse(_GONE)
    failing = [order for order in group.orders if _still_failing(order)]
    if not failing:
        return _refuse(
            f"None of the {len(group.orders)} orders of that alert fails any more; "
            "nothing was retried."
        )
    retried: list[Order] = []
    for order in failing:
        try:
            retried.append(services.engine.retry(order.tiktok_order_id, actor=ctx.actor.id))
        except EngineError:  # retried meanwhile (another click, a mapping)
            continue
    if not retried:
        return _refuse("Those orders are being retried already; nothing more was done.")
    services.alert_changed(command.alert_key)  # the group's message shows the outcome now
    placed = [o for o in retried if o.placement in (Placement.PLACED, Placement.PLACING)]
    still = [o for o in retried if o.placement == Placement.FAILED]
    text = (
        f"Retried {words.plural(len(retried), 'order')}: {len(placed)} placed, "
        f"{len(still)} still failed."
    )
    rows = tuple(
        (o.tiktok_order_id, views.placement_text(o), o.failure_detail or "") for o in retried
    )
    return Reply(
        text=text,
        blocks=(Paragraph(text), Table(("Order", "On Etsy", "Why"), rows)),
        public=True,
    )


def view_all(command: ViewAllFailed, ctx: Context) -> Reply:
    """Every order of the group, as it stands now."""
    services = ctx.services
    with services.sessions() as session:
        group = alerts.load_summary(
            session,
            shop_id=services.shop_id,
            key=command.alert_key,
            kind=AlertKind.PLACEMENT_FAILURES,
        )
    if group is None:
        return _refuse(_GONE)
    rows = tuple(
        (
            order.tiktok_order_id,
            views.line_items(group.lines[order.id], group.reservations[order.id]),
            views.price(order),
            views.placement_text(order),
            (order.failure_detail or "—") if _still_failing(order) else "—",
        )
        for order in group.orders
    )
    title = f"{len(rows)} orders that could not be placed"
    return Reply(
        text=title,
        blocks=(
            Heading(title),
            Table(("TTS order ID", "Line Items", "Price", "On Etsy", "Why"), rows),
        ),
    )
