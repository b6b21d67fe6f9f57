"""Replies that show orders: the status grid, one order in full, a fetch summary."""

from datetime import datetime

from commands import actions, shipping_views, words
from commands.replies import (
    Actions,
    Button,
    Confirm,
    Entry,
    Heading,
    History,
    KeyValues,
    Paragraph,
    Reply,
    Table,
)
from commands.request_views import request_blocks, request_buttons
from storage.models import Order, OrderEvent, OrderLine, OrderShipping, Reservation
from storage.states import EventKind
from sync import sections
from sync.engine import FetchSummary
from sync.engine.cancel_claims import CANCEL_CLAIM_EXPIRES_AFTER
from sync.sections import Section

GRID_COLUMNS = (
    "TTS order ID",
    "Fulfilled By",
    "Line Items",
    "Created At",
    "Price",
    "Order Status",
)
WHY = "Why"
PAGE_SIZE = 20


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def price(order: Order) -> str:
    if order.total_amount is None:
        return "—"
    return f"{order.total_amount:.2f} {order.currency}".strip()


def fulfilled_by(order: Order) -> str:
    return "TikTok" if order.fulfilled_by == "TIKTOK" else "Seller"


def tiktok_status_text(order: Order) -> str:
    """TikTok's status of the order, in words (orderbot's own reasons are `reason_text`)."""
    text = words.tiktok_status(order.tiktok_status)
    if order.partial:
        text += " (partial)"
    mark = words.return_mark(order.return_state)  # SPEC §4.2: next to its section
    return f"{text} · {mark}" if mark else text


_INITIATORS = {"BUYER": "the buyer", "SELLER": "you", "SYSTEM": "TikTok", "OPERATOR": "TikTok"}


def cancellation_text(order: Order) -> str:
    """Why the order was cancelled and by whom, e.g. `Out of stock (by you)`."""
    text = order.cancel_reason or words.cancel_reason(order.cancel_reason_key) or "no reason given"
    by = _INITIATORS.get((order.cancel_initiator or "").upper())
    return f"{text} (by {by})" if by else text


def reason_text(order: Order) -> str:
    """What orderbot says about the order beyond TikTok's status ("" when nothing): why it is in
    Failed, or why it was cancelled (an earlier placement failure no longer matters then)."""
    if order.tiktok_status == sections.CANCELLED and (
        order.failure_reason not in sections.DELIVERY_FAILURES
    ):
        return "Cancelled: " + cancellation_text(order)
    if order.failure_reason:
        return words.reason(order.failure_reason)
    return ""


def grid_table(
    orders: list[Order],
    lines: dict[int, list[OrderLine]],
    reservations: dict[int, list[Reservation]],
    *,
    menus: bool = False,
    shipping: dict[int, OrderShipping] | None = None,
    now: datetime | None = None,
) -> Table:
    """Orders as grid rows. TikTok's status and orderbot's reason stay apart: a "Why" column
    follows Order Status when an order on the page has a reason. `menus`: each row's actions.
    `shipping` (with `now`): a "Ship By" column when an order on the page is still to ship."""
    table = _grid_rows(orders, lines, reservations, menus=menus, shipping=shipping)
    if shipping is None or now is None:
        return table
    ship_by = [
        shipping_views.ship_by_text(shipping.get(order.id), now)
        if shipping_views.to_ship(order, shipping.get(order.id))
        else ""
        for order in orders
    ]
    if not any(ship_by):
        return table
    at = len(GRID_COLUMNS)
    return Table(
        (*table.columns[:at], shipping_views.SHIP_BY, *table.columns[at:]),
        tuple((*row[:at], by, *row[at:]) for row, by in zip(table.rows, ship_by, strict=True)),
        menus=table.menus,
    )


def _grid_rows(
    orders: list[Order],
    lines: dict[int, list[OrderLine]],
    reservations: dict[int, list[Reservation]],
    *,
    menus: bool,
    shipping: dict[int, OrderShipping] | None,
) -> Table:
    rows = [
        (
            order.tiktok_order_id,
            fulfilled_by(order),
            line_items(lines[order.id], reservations[order.id]),
            when(order.created_at),
            price(order),
            tiktok_status_text(order),
            reason_text(order).removeprefix("Cancelled: "),
        )
        for order in orders
    ]
    with_why = any(row[-1] for row in rows)
    columns = (*GRID_COLUMNS, WHY) if with_why else GRID_COLUMNS
    return Table(
        columns,
        tuple(row if with_why else row[:-1] for row in rows),
        menus=tuple(row_menu(order, (shipping or {}).get(order.id)) for order in orders)
        if menus
        else (),
    )


def line_items(lines: list[OrderLine], reservations: list[Reservation]) -> str:
    """`TikTok SKU ×units → Etsy listing / SKU`; units of one SKU are counted, not repeated."""
    if reservations:
        placed: dict[tuple[str, int, str], int] = {}
        for r in reservations:
            key = (r.tiktok_sku, r.listing_id, r.etsy_sku)
            placed[key] = placed.get(key, 0) + r.units
        return "; ".join(
            f"{sku} ×{units} → listing {listing} / {etsy}"
            for (sku, listing, etsy), units in placed.items()
        )
    counts: dict[str, int] = {}
    for line in lines:
        parts = line.components()
        if parts:
            for part in parts:
                key = part.seller_sku or part.sku_id
                counts[key] = counts.get(key, 0) + part.sku_count
        else:
            key = line.seller_sku or line.sku_id
            counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{sku} ×{units} → not placed" for sku, units in counts.items())


def counts_line(counts: dict[str, int]) -> str:
    return " · ".join(f"{section.title} {counts.get(section.value, 0)}" for section in Section)


def grid(
    *,
    section: Section | None,
    page: int,
    counts: dict[str, int],
    orders: list[Order],
    lines: dict[int, list[OrderLine]],
    reservations: dict[int, list[Reservation]],
    shipping: dict[int, OrderShipping] | None = None,
    now: datetime | None = None,
) -> Reply:
    title = section.title if section else "All orders"
    total = counts.get(section.value, 0) if section else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    blocks: list = [Heading("Orders per section"), Paragraph(counts_line(counts))]
    if not orders:
        if total == 0:
            empty = (
                f"No orders are {title}."
                if section
                else "No orders yet. Run /orders fetch to bring in TikTok Shop orders."
            )
        else:
            empty = (
                f"{title} has {words.plural(total, 'order')} on {words.plural(pages, 'page')}; "
                f"page {page} is past the end."
            )
        blocks += [Heading(title), Paragraph(empty)]
        if total:
            back = Button(f"Go to page {pages}", actions.PAGE, f"{_slug(section)}|{pages}")
            blocks.append(Actions((back,)))
        return Reply(text=f"{title}: {empty}", blocks=tuple(blocks))
    blocks += [
        Heading(f"{title} — page {page} of {pages} ({words.plural(total, 'order')})"),
        grid_table(orders, lines, reservations, menus=True, shipping=shipping, now=now),
    ]
    slug = _slug(section)
    buttons = []
    if page > 1:
        buttons.append(Button("Previous", actions.PAGE, f"{slug}|{page - 1}"))
    if page < pages:
        buttons.append(Button("Next", actions.PAGE, f"{slug}|{page + 1}"))
    if buttons:
        blocks.append(Actions(tuple(buttons)))
    return Reply(
        text=f"{title}: {words.plural(total, 'order')} (page {page} of {pages})",
        blocks=tuple(blocks),
    )


def _slug(section: Section | None) -> str:
    return section.value if section else sections.ALL


def row_menu(order: Order, facts: OrderShipping | None = None) -> tuple[Button, ...]:
    """A grid row's actions (its overflow menu in Slack), so acting on an order needs no copied
    id."""
    oid = order.tiktok_order_id
    items = [("View", actions.VIEW_ORDER)]
    if shipping_views.to_ship(order, facts):
        items.append(("Ship…", actions.SHIP_START))
    if order.tiktok_status in sections.NOT_YET_SHIPPABLE | {sections.AWAITING_SHIPMENT}:
        items.append(("Cancel…", actions.CANCEL_START))
    if order.placement == "failed" and order.failure_reason in sections.PLACEMENT_FAILURES:
        items.append(("Retry placement", actions.RETRY_PLACEMENT))
    return tuple(
        Button(label, actions.ROW_MENU, actions.menu_value(action, oid)) for label, action in items
    )


def tiktok_skus(lines: list[OrderLine]) -> list[str]:
    """The order's TikTok SKUs, in order, once each (what a mapping would be made for)."""
    seen: dict[str, None] = {}
    for line in lines:
        parts = line.components()
        if parts:
            for part in parts:
                seen[part.seller_sku or part.sku_id] = None
        else:
            seen[line.seller_sku or line.sku_id] = None
    return list(seen)


def order_buttons(
    order: Order, lines: list[OrderLine] = (), facts: OrderShipping | None = None
) -> tuple[Button, ...]:
    oid = order.tiktok_order_id
    buttons = []
    if ship := shipping_views.ship_button(order, facts):
        buttons.append(ship)
    if order.tiktok_status in sections.NOT_YET_SHIPPABLE | {sections.AWAITING_SHIPMENT}:
        buttons.append(Button("Cancel…", actions.CANCEL_START, oid, style="danger"))
    if order.placement == "failed" and order.failure_reason in sections.PLACEMENT_FAILURES:
        buttons.append(Button("Retry placement", actions.RETRY_PLACEMENT, oid, style="primary"))
        if order.failure_reason in ("sku_unmatched", "sku_ambiguous"):
            # One per SKU: the mapping form is filled in with the TikTok SKU it maps.
            for sku in tiktok_skus(lines)[:3]:
                buttons.append(Button(f"Map {sku}…", actions.MAP_SKU_START, sku))
    if order.failure_reason in sections.DELIVERY_FAILURES and order.placement == "placed":
        buttons.append(
            Button(
                "Restock on Etsy",
                actions.RESTOCK,
                oid,
                confirm=Confirm("Restock?", f"Give order {oid}'s units back on Etsy?"),
            )
        )
    return tuple(buttons)


def order_detail(
    order: Order,
    lines: list[OrderLine],
    reservations: list[Reservation],
    events: list[OrderEvent],
    requests: list = (),
    shipping: OrderShipping | None = None,
    now: datetime | None = None,
) -> Reply:
    cancelled = order.tiktok_status == sections.CANCELLED
    facts = [
        ("Section", Section(order.section).title),
        ("TikTok status", tiktok_status_text(order)),
        ("Fulfilled by", fulfilled_by(order)),
        ("Created", when(order.created_at)),
        ("Price", price(order)),
        ("On Etsy", stock_text(order, was_on_hold=was_on_hold(events))),
    ]
    if cancelled and order.failure_reason not in sections.DELIVERY_FAILURES:
        facts.append(("Cancel reason", cancellation_text(order)))  # else "Why" tells it
    if order.failure_reason and (
        not cancelled or order.failure_reason in sections.DELIVERY_FAILURES
    ):
        why, detail = words.reason(order.failure_reason), order.failure_detail or ""
        shown = detail if why.lower() in detail.lower() else ": ".join(filter(None, (why, detail)))
        facts.append(("Why", shown))
    if order.cancel_requested_at and order.tiktok_status != sections.CANCELLED:
        facts.append(("Cancel asked", cancel_claim_text(order)))
    if order.delivered_at:
        facts.append(("Delivered", when(order.delivered_at)))
    if now is not None:
        facts += shipping_views.shipping_facts(order, shipping, now)
    items = tuple(
        (
            line.seller_sku or line.sku_id,
            f"{line.product_name} {('· ' + line.sku_name) if line.sku_name else ''}".strip(),
            f"{line.sale_price:.2f} {line.currency}" if line.sale_price is not None else "—",
        )
        for line in lines
    )
    history = tuple(
        Entry(when(event.at), words.actor(event.actor), words.event(event))
        for event in in_order(events)
    )
    blocks: list = [
        Heading(f"Order {order.tiktok_order_id}"),
        KeyValues(tuple(facts)),
        Heading("Line items"),
        Table(("SKU", "Item", "Price"), items) if items else Paragraph("No line items."),
        Paragraph("Etsy: " + line_items(lines, reservations)),
        *request_blocks(requests),
        Heading("History"),
        History(history) if history else Paragraph("No history yet."),
    ]
    buttons = order_buttons(order, lines, shipping) + request_buttons(requests)
    if buttons:
        blocks.append(Actions(buttons))
    return Reply(
        text=f"Order {order.tiktok_order_id}: {Section(order.section).title}",
        blocks=tuple(blocks),
    )


def cancel_claim_text(order: Order) -> str:
    """An open cancel claim: who asked, when, and when it is checked with TikTok if its
    request never finishes (`sync.engine.cancel_claims`)."""
    checked = order.cancel_requested_at + CANCEL_CLAIM_EXPIRES_AFTER
    return (
        f"by {words.actor(order.cancel_requested_by)} at {when(order.cancel_requested_at)}; "
        f"TikTok's answer is not recorded yet (checked with TikTok from {when(checked)} if it "
        "never comes)"
    )


def in_order(events: list[OrderEvent]) -> list[OrderEvent]:
    """Oldest first, by the second, then as recorded: TikTok stamps its changes in whole
    seconds, so within a second the order of recording is the true one (a cancel request
    comes before TikTok's status change that it caused, which lands at its second's start)."""
    return sorted(events, key=lambda e: (e.at.replace(microsecond=0), e.id or 0))


def was_on_hold(events: list[OrderEvent]) -> bool:
    """The order was cancelled while unpaid or on hold (so nothing was ever placed)."""
    held = {sections.UNPAID, sections.ON_HOLD}
    for event in events:
        before, _, after = event.detail.partition(" → ")
        if event.kind == EventKind.STATUS and before in held and after == sections.CANCELLED:
            return True
    return False


def placement_text(order: Order, *, was_on_hold: bool = False) -> str:
    """Where the order stands with Etsy, in words. `was_on_hold`: it was cancelled while
    unpaid or on hold (the order row alone does not tell)."""
    if order.placement == "skipped":
        if order.fulfilled_by == "TIKTOK":
            return "not placed: TikTok ships it from its own warehouse"
        if order.failure_reason in sections.PLACEMENT_FAILURES:
            return "nothing was reserved (placement had failed)"
        if was_on_hold:
            return "nothing was reserved (it was on hold)"
        return "nothing was reserved (cancelled before it was placed)"
    return {
        "waiting": "not yet (waiting for payment or the hold period)",
        "pending": "queued for placement",
        "placing": "being placed",
        "placed": "stock reserved",
        "failed": "not placed",
        "restored": "stock given back",
        "restock": "giving stock back",
    }.get(order.placement, order.placement)


def stock_text(order: Order, *, was_on_hold: bool = False) -> str:
    """`placement_text`, and for a cancelled order whose units are still out (the settle that
    gives them back runs next, or another worker holds the stock) that they are on their way."""
    owed_back = order.placement == "placed" and order.tiktok_status == sections.CANCELLED
    if owed_back and order.failure_reason not in sections.DELIVERY_FAILURES:
        return "being given back (the order is cancelled)"
    return placement_text(order, was_on_hold=was_on_hold)


def fetch_summary(summary: FetchSummary) -> Reply:
    failed = sum(summary.failed.values())
    by_reason = sorted(summary.failed.items(), key=lambda item: (-item[1], item[0]))
    reasons = ", ".join(f"{words.reason(reason)}: {n}" for reason, n in by_reason)
    # What was read besides the new and changed: re-read, unchanged (the overlap every fetch
    # reads again so that nothing is missed).
    same = max(summary.orders - summary.new - summary.updated, 0)
    facts = [
        (
            "Orders seen",
            f"{summary.orders} ({same} re-read, unchanged)" if same else str(summary.orders),
        ),
        ("New", str(summary.new)),
        ("Changed", str(summary.updated)),
        ("Placed on Etsy", str(summary.placed)),
        ("Failed", f"{failed} ({reasons})" if failed else "0"),
        ("Stock given back", str(summary.restored)),
        ("Auto-completed", str(summary.completed)),
        ("Duration", f"{summary.duration_s:.1f} s"),
    ]
    if summary.index:
        facts.append(("SKU index", summary.index))
    if summary.etsy_quota_left is not None:
        of = f" of {summary.etsy_quota_limit:,}" if summary.etsy_quota_limit is not None else ""
        facts.append(("Etsy quota left", f"{summary.etsy_quota_left:,}{of} calls today"))
    if summary.stock_push:
        facts.append(("Stock push", summary.stock_push))
    blocks: list = [Heading("Fetch finished" if not summary.error else "Fetch stopped")]
    if summary.error:
        blocks.append(Paragraph(summary.error))
    if summary.skipped:
        shown = ", ".join(summary.skipped[:10]) + (" …" if len(summary.skipped) > 10 else "")
        blocks.append(
            Paragraph(
                f"{words.plural(len(summary.skipped), 'order')} from TikTok could not be read "
                f"and were skipped (see the log): {shown}"
            )
        )
    blocks.append(KeyValues(tuple(facts)))
    if failed:
        blocks.append(Actions((Button("Show failed orders", actions.PAGE, "failed|1"),)))
    text = (
        f"Fetch {'stopped' if summary.error else 'finished'}: {summary.new} new, "
        f"{summary.placed} placed, {failed} failed in {summary.duration_s:.1f} s"
    )
    return Reply(text=text, blocks=tuple(blocks), ok=summary.error is None)
