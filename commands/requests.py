"""`/orders returns`, `/orders return approve|reject`, and the Restock of a return (SPEC §4.2)."""

from commands import actions, request_views, words
from commands.context import Context
from commands.replies import Actions, Button, Confirm, Form, Paragraph, Reply, SelectField, Table
from commands.types import ReturnApprove, ReturnReject, ReturnRestock, Returns
from storage import queries
from storage.models import AfterSalesRequest
from storage.states import AlertKind, RequestKind
from sync.alerts import key_for
from sync.engine import ReasonRefused

PAGE_SIZE = 20
COLUMNS = ("Request ID", "Order", "Kind", "Reason", "Amount", "Answer by", "Status")


def _reply(text: str, *, ok: bool = True, public: bool = False) -> Reply:
    return Reply(text=text, blocks=(Paragraph(text),), ok=ok, public=public)


def returns_list(command: Returns, ctx: Context) -> Reply:
    services = ctx.services
    now = services.clock()
    with services.sessions() as session:
        total = queries.count_open_requests(session, shop_id=services.shop_id)
        rows = queries.open_requests(
            session, shop_id=services.shop_id, page=command.page, page_size=PAGE_SIZE
        )
    if not total:
        return _reply("No open return, refund or cancellation requests.")
    pages = -(-total // PAGE_SIZE)
    if not rows:
        return _reply(
            f"There are {words.plural(pages, 'page')} of open requests; page {command.page} "
            "is past the end.",
            ok=False,
        )
    text = f"Open requests: {total}, soonest deadline first" + (
        f" (page {command.page} of {pages})" if pages > 1 else ""
    )
    table = Table(
        COLUMNS,
        tuple(
            (
                row.request_id,
                row.tiktok_order_id,
                words.request_kind(row.kind),
                row.reason or row.reason_key or "—",
                request_views.amount(row),
                request_views.deadline(row, now),
                request_views.status(row),
            )
            for row in rows
        ),
    )
    blocks: list = [
        Paragraph(text),
        table,
        Paragraph(
            "Answer one with /orders return approve <request_id> or "
            "/orders return reject <request_id> [reason]."
        ),
    ]
    paging = []
    if command.page > 1:
        paging.append(Button("Previous", actions.RETURNS_PAGE, str(command.page - 1)))
    if command.page < pages:
        paging.append(Button("Next", actions.RETURNS_PAGE, str(command.page + 1)))
    if paging:
        blocks.append(Actions(tuple(paging)))
    return Reply(text=text, blocks=tuple(blocks))


def _changed(ctx: Context, row: AfterSalesRequest) -> None:
    """The request's alert shows the answer at once."""
    ctx.services.alert_changed(key_for(AlertKind.REQUEST, row.request_id))


def approve(command: ReturnApprove, ctx: Context) -> Reply:
    engine = ctx.services.engine
    row = engine.request(command.request_id)
    if not (ctx.confirmed or ctx.actor.trusted):
        question = (
            f"Approve {words.request_kind(row.kind).lower()} request {row.request_id} "
            f"(order {row.tiktok_order_id}, {request_views.amount(row)}) on TikTok Shop?"
        )
        return Reply(
            text=question,
            blocks=(
                Paragraph(question),
                Actions(
                    (
                        Button(
                            "Approve",
                            actions.RETURN_APPROVE,
                            row.request_id,
                            style="primary",
                            confirm=Confirm("Approve the request?", question, "Approve", "Not now"),
                        ),
                    )
                ),
            ),
        )
    done = engine.approve_request(row.request_id, actor=ctx.actor.id)
    _changed(ctx, done)
    text = (
        f"Approved {words.request_kind(done.kind).lower()} request {done.request_id} "
        f"(order {done.tiktok_order_id}) on TikTok Shop: {request_views.status(done)}."
    )
    if done.kind == RequestKind.CANCELLATION:
        text += " The order is cancelled; its Etsy stock comes back."
    return _reply(text, public=True)


def reject(command: ReturnReject, ctx: Context) -> Reply:
    engine = ctx.services.engine
    row, reasons = engine.reject_reasons(command.request_id)
    if not reasons:
        return _reply(
            f"TikTok offers no reason to reject request {row.request_id} now, so it cannot be "
            "rejected from here. Nothing was sent.",
            ok=False,
        )
    if command.reason is None:
        return Reply(
            text=f"Pick TikTok's reason to reject request {row.request_id}",
            form=Form(
                title="Reject request",
                submit="Reject",
                callback_id=actions.RETURN_REJECT_FORM,
                private_metadata=row.request_id,
                intro=f"Reject {words.request_kind(row.kind).lower()} request {row.request_id} "
                f"(order {row.tiktok_order_id}, {request_views.amount(row)}). TikTok tells the "
                "buyer, who may appeal.",
                fields=(
                    SelectField(
                        "reason",
                        "Reason",
                        tuple((reason.name, reason.text or reason.name) for reason in reasons),
                    ),
                ),
                pick="to reject with that reason, or anything else to leave it",
                typed=f"/orders return reject {row.request_id} {{choice}}",
            ),
        )
    try:
        done = engine.reject_request(row.request_id, command.reason, actor=ctx.actor.id)
    except ReasonRefused as refused:
        valid = "; ".join((r.text or r.name).rstrip(".") for r in refused.reasons)
        return _reply(f"{refused} Use one of: {valid}. Nothing was sent.", ok=False)
    _changed(ctx, done)
    text = (
        f"Rejected {words.request_kind(done.kind).lower()} request {done.request_id} "
        f"(order {done.tiktok_order_id}) on TikTok Shop: {request_views.status(done)}."
    )
    return _reply(text, public=True)


def restock(command: ReturnRestock, ctx: Context) -> Reply:
    done = ctx.services.engine.restock_request(command.request_id, actor=ctx.actor.id)
    _changed(ctx, done)
    text = (
        f"Return {done.request_id} (order {done.tiktok_order_id}): its units "
        f"({request_views.items(done)}) are being given back on Etsy."
    )
    return _reply(text, public=True)
