"""Return, refund and buyer cancellation requests as people see them (SPEC §4.2): their facts,
the deadline, and the buttons that answer them. Used by `/orders show`, `/orders returns` and
the request alerts."""

from datetime import datetime

from commands import actions, words
from commands.replies import Block, Button, Confirm, Heading, KeyValues, Table
from storage.models import AfterSalesRequest
from storage.states import RequestKind
from sync.clock import as_utc
from sync.engine.answers import approve_decision, reject_decision


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def amount(row: AfterSalesRequest) -> str:
    return "—" if row.amount is None else f"{row.amount:.2f} {row.currency}".strip()


def left(moment: datetime, now: datetime) -> str:
    """Time left until `moment`, e.g. `5 h 10 min left`, or how long ago it passed."""
    minutes = int((as_utc(moment) - now).total_seconds() // 60)
    span = abs(minutes)
    text = f"{span // 60} h {span % 60} min" if span >= 60 else f"{span} min"
    return f"{text} left" if minutes >= 0 else f"overdue by {text}"


def deadline(row: AfterSalesRequest, now: datetime | None = None) -> str:
    """The seller's deadline (TikTok answers by itself then), with the time left."""
    if row.deadline is None or not row.is_open:
        return "—"
    text = when(row.deadline)
    return f"{text} ({left(row.deadline, now)})" if now is not None else text


def status(row: AfterSalesRequest) -> str:
    return words.request_status(row.status, row.seller_action)


def items(row: AfterSalesRequest) -> str:
    lines = row.lines()
    if not lines:
        return "the whole order" if row.kind == RequestKind.CANCELLATION else "—"
    counts: dict[str, int] = {}
    for line in lines:
        sku = line.get("seller_sku") or "?"
        counts[sku] = counts.get(sku, 0) + 1
    return ", ".join(f"{sku} ×{n}" for sku, n in counts.items())


def facts(row: AfterSalesRequest, now: datetime | None = None) -> tuple[tuple[str, str], ...]:
    out = [
        ("Request", f"{words.request_kind(row.kind)} {row.request_id}"),
        ("Order", row.tiktok_order_id),
        ("Reason", row.reason or row.reason_key or "—"),
        ("Amount", amount(row)),
        ("Items", items(row)),
        ("Status", status(row)),
    ]
    if row.is_open and row.deadline is not None:
        out.append(("Answer by", deadline(row, now) + " — TikTok approves it by itself then"))
    if row.answer and row.answered_by:
        out.append(("Answered", f"{row.answer} by {words.actor(row.answered_by)}"))
    if row.restock_at is not None:
        out.append(("Restock", f"asked by {words.actor(row.restock_by or '')}"))
    return tuple(out)


def can_restock(row: AfterSalesRequest) -> bool:
    return (
        row.kind == RequestKind.RETURN_AND_REFUND
        and row.received_at is not None
        and row.restock_at is None
    )


def buttons(row: AfterSalesRequest) -> tuple[Button, ...]:
    """What answers the request now: Approve and Reject… while TikTok waits for the seller,
    Restock once a returned parcel is back."""
    out: list[Button] = []
    rid = row.request_id
    if approve_decision(row) is not None:
        question = (
            f"Approve {words.request_kind(row.kind).lower()} request {rid} "
            f"(order {row.tiktok_order_id}, {amount(row)}) on TikTok Shop?"
        )
        out.append(
            Button(
                "Approve",
                actions.RETURN_APPROVE,
                rid,
                style="primary",
                confirm=Confirm("Approve the request?", question, "Approve", "Not now"),
            )
        )
    if reject_decision(row) is not None:
        out.append(Button("Reject…", actions.RETURN_REJECT_START, rid, style="danger"))
    if can_restock(row):
        out.append(
            Button(
                "Restock on Etsy",
                actions.RETURN_RESTOCK,
                rid,
                confirm=Confirm("Restock?", f"Give the units of return {rid} back on Etsy?"),
            )
        )
    return tuple(out)


def request_buttons(rows) -> tuple[Button, ...]:
    return tuple(button for row in rows for button in buttons(row))[:10]


def request_blocks(rows) -> list[Block]:
    """`/orders show`: each request of the order, with its own history."""
    if not rows:
        return []
    blocks: list[Block] = [Heading("Returns, refunds and cancellation requests")]
    for row in rows:
        blocks.append(KeyValues(facts(row)))
        entries = tuple(
            (
                entry.get("at", "")[:16].replace("T", " ") + " UTC",
                words.request_status(entry.get("status", "")),
                (entry.get("by") or "").title() or "—",
            )
            for entry in row.entries()
        )
        if entries:
            blocks.append(Table(("When", "Status", "By"), entries))
    return blocks
