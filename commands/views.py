"""Replies that show orders: the status grid, one order in full, a fetch summary."""

from datetime import datetime

from commands import actions
from commands.replies import Actions, Button, Confirm, Heading, KeyValues, Paragraph, Reply, Table
from storage.models import Order, OrderEvent, OrderLine, Reservation
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
PAGE_SIZE = 20


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def price(order: Order) -> str:
    if order.total_amount is None:
        return "—"
    return f"{order.total_amount:.2f} {order.currency}".strip()


def fulfilled_by(order: Order) -> str:
    return "TikTok" if order.fulfilled_by == "TIKTOK" else "Seller"


def status_text(order: Order) -> str:
    text = order.tiktok_status.replace("_", " ").title()
    if order.partial:
        text += " (partial)"
    if order.failure_reason:
        text += f" · {order.failure_reason}"
    return text


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
            empty = f"{title} has {total} orders over {pages} pages; page {page} is past the end."
        blocks += [Heading(title), Paragraph(empty)]
        return Reply(text=f"{title}: {empty}", blocks=tuple(blocks))
    rows = tuple(
        (
            order.tiktok_order_id,
            fulfilled_by(order),
            line_items(lines[order.id], reservations[order.id]),
            when(order.created_at),
            price(order),
            status_text(order),
        )
        for order in orders
    )
    blocks += [
        Heading(f"{title} — page {page} of {pages} ({total} orders)"),
        Table(GRID_COLUMNS, rows),
    ]
    slug = section.value if section else sections.ALL
    buttons = []
    if page > 1:
        buttons.append(Button("Previous", actions.PAGE, f"{slug}|{page - 1}"))
    if page < pages:
        buttons.append(Button("Next", actions.PAGE, f"{slug}|{page + 1}"))
    if buttons:
        blocks.append(Actions(tuple(buttons)))
    return Reply(
        text=f"{title}: {total} orders (page {page} of {pages})",
        blocks=tuple(blocks),
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


def order_buttons(order: Order, lines: list[OrderLine] = ()) -> tuple[Button, ...]:
    oid = order.tiktok_order_id
    buttons = []
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
    order: Order, lines: list[OrderLine], reservations: list[Reservation], events: list[OrderEvent]
) -> Reply:
    facts = [
        ("Section", Section(order.section).title),
        ("TikTok status", status_text(order)),
        ("Fulfilled by", fulfilled_by(order)),
        ("Created", when(order.created_at)),
        ("Price", price(order)),
        ("On Etsy", placement_text(order)),
    ]
    if order.failure_reason:
        facts.append(("Why", f"{order.failure_reason}: {order.failure_detail or ''}".strip(": ")))
    if order.cancel_reason or order.cancel_reason_key:
        by = f" (by {order.cancel_initiator.lower()})" if order.cancel_initiator else ""
        facts.append(("Cancel reason", f"{order.cancel_reason or order.cancel_reason_key}{by}"))
    if order.cancel_requested_at and order.tiktok_status != sections.CANCELLED:
        facts.append(("Cancel asked", cancel_claim_text(order)))
    if order.delivered_at:
        facts.append(("Delivered", when(order.delivered_at)))
    items = tuple(
        (
            line.seller_sku or line.sku_id,
            f"{line.product_name} {('· ' + line.sku_name) if line.sku_name else ''}".strip(),
            f"{line.sale_price:.2f} {line.currency}" if line.sale_price is not None else "—",
        )
        for line in lines
    )
    history = tuple(
        (when(event.at), event.actor, f"{event.kind} {event.detail}".strip()) for event in events
    )
    blocks: list = [
        Heading(f"Order {order.tiktok_order_id}"),
        KeyValues(tuple(facts)),
        Heading("Line items"),
        Table(("SKU", "Item", "Price"), items) if items else Paragraph("No line items."),
        Paragraph("Etsy: " + line_items(lines, reservations)),
        Heading("History"),
        Table(("When", "Who", "What"), history) if history else Paragraph("No history yet."),
    ]
    buttons = order_buttons(order, lines)
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
        f"by {order.cancel_requested_by} at {when(order.cancel_requested_at)}; TikTok's answer "
        f"is not recorded yet (checked with TikTok from {when(checked)} if it never comes)"
    )


def placement_text(order: Order) -> str:
    return {
        "waiting": "not yet (waiting for payment or the hold period)",
        "pending": "queued for placement",
        "placing": "being placed",
        "placed": "stock reserved",
        "failed": "not placed",
        "skipped": "not placed (fulfilled by TikTok or cancelled first)"
        if order.fulfilled_by != "TIKTOK"
        else "not placed: TikTok ships it from its own warehouse",
        "restored": "stock given back",
        "restock": "giving stock back",
    }.get(order.placement, order.placement)


def fetch_summary(summary: FetchSummary) -> Reply:
    failed = sum(summary.failed.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(summary.failed.items()))
    facts = [
        ("Orders seen", str(summary.orders)),
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
    blocks: list = [Heading("Fetch finished" if not summary.error else "Fetch stopped")]
    if summary.error:
        blocks.append(Paragraph(summary.error))
    if summary.skipped:
        shown = ", ".join(summary.skipped[:10]) + (" …" if len(summary.skipped) > 10 else "")
        blocks.append(
            Paragraph(
                f"{len(summary.skipped)} order(s) from TikTok could not be read and were "
                f"skipped (see the log): {shown}"
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
