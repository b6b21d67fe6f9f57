"""`/orders stock <sku>`, the stock pushes `/orders show` adds to an order, and the text of
the stock push alerts (SPEC §3.2). Renderer-neutral replies, as everywhere in `commands`."""

from dataclasses import replace

from commands import views
from commands.alert_layout import alert
from commands.context import Context
from commands.replies import Heading, KeyValues, Paragraph, Reply, Table
from commands.types import Stock
from storage.models import StockPush
from storage.states import AlertKind, PushState
from sync.alerts import AlertView
from sync.stock_push import SkuStock

PUSH_WORDS = {
    PushState.PENDING: "being pushed",
    PushState.DONE: "pushed",
    PushState.FAILED: "FAILED",
    PushState.UNKNOWN: "cut short (pushed again)",
}
PUSH_COLUMNS = ("When", "TikTok SKU", "Etsy", "Buffer", "Set TikTok to", "Result")


def stock(command: Stock, ctx: Context) -> Reply:
    report = ctx.services.engine.stock.stock_of(command.sku)
    if not report.tiktok and not report.etsy and report.tiktok_error is None:
        text = (
            f"{command.sku} is neither a TikTok SKU orderbot knows nor an Etsy SKU in the SKU "
            "index. Run /orders fetch to read both stores, or check the spelling."
        )
        return Reply(text=text, blocks=(Paragraph(text),), ok=False)
    facts = [
        ("Etsy", _etsy(report)),
        ("TikTok", _tiktok(report)),
        ("Stock push", _push_setting(report)),
    ]
    problem = next((row.problem for row in report.tiktok if row.problem), None)
    last = report.pushes[0] if report.pushes else None
    if problem:
        facts.append(("Not pushed", problem))
    elif last is not None and last.state == PushState.FAILED:
        facts.append(("Last error", last.error or "TikTok did not take the push"))
    blocks = [Heading(f"Stock of {command.sku}"), KeyValues(tuple(facts))]
    blocks += pushes_blocks(report.pushes) or [Paragraph("No stock pushes yet.")]
    summary = "; ".join(f"{name}: {value}" for name, value in facts[:2])
    return Reply(text=f"Stock of {command.sku} — {summary}", blocks=tuple(blocks))


def _etsy(report: SkuStock) -> str:
    if not report.etsy:
        return f"{report.etsy_sku} is on no Etsy listing in the SKU index"
    shown = []
    for row in report.etsy:
        title = report.titles.get(row.listing_id, "")
        where = f"listing {row.listing_id}" + (f" ({title})" if title else "")
        level = row.problem or f"{row.quantity} units"
        shown.append(f"{report.etsy_sku}: {level} on {where}")
    return "; ".join(shown)


def _tiktok(report: SkuStock) -> str:
    if not report.tiktok:
        return f"no TikTok SKU takes {report.etsy_sku}"
    shown = []
    for row in report.tiktok:
        if report.tiktok_now is not None and row.sku_id in report.tiktok_now:
            units = f"{report.tiktok_now[row.sku_id]} available"
        else:
            units = f"{row.quantity} as last read {views.when(row.read_at)}"
        status = "" if row.product_status == "ACTIVATE" else f", product {row.product_status}"
        shown.append(f"{row.seller_sku} (SKU id {row.sku_id}): {units}{status}")
    text = "; ".join(shown)
    if report.tiktok_error:
        text += f" — TikTok did not answer just now ({report.tiktok_error})"
    return text


def _push_setting(report: SkuStock) -> str:
    if not report.enabled:
        return "off (ORDERBOT_STOCK_PUSH=off): TikTok's quantity is left alone"
    return f"on, keeping {report.buffer} unit(s) back (ORDERBOT_STOCK_BUFFER)"


def pushes_blocks(pushes: list[StockPush]) -> list:
    if not pushes:
        return []
    rows = tuple(
        (
            views.when(p.created_at),
            p.seller_sku,
            f"{p.etsy_sku} {p.etsy_quantity}",
            str(p.buffer),
            str(p.quantity),
            PUSH_WORDS.get(p.state, p.state) + (f": {p.error}" if p.state == "failed" else ""),
        )
        for p in pushes
    )
    return [Heading("Stock pushes to TikTok"), Table(PUSH_COLUMNS, rows)]


def with_pushes(reply: Reply, pushes: list[StockPush]) -> Reply:
    """`/orders show`: the order, then the last pushes of its SKUs."""
    blocks = pushes_blocks(pushes)
    return replace(reply, blocks=(*reply.blocks, *blocks)) if blocks else reply


def alert_content(view: AlertView) -> Reply:
    sku = view.failed_skus[0] if view.failed_skus else "?"
    why = view.failure_detail or "—"
    if view.kind == AlertKind.STOCK_PUSH_FAILED:
        title = f"TikTok did not take the stock of {sku}"
        text = f"{title}: {why}. orderbot tries again on the next fetches."
    else:
        title = f"TikTok SKU {sku}: its stock is not pushed"
        text = f"{title}: {why}. Map it to one Etsy SKU (/orders map) or fix the listing."
    facts = (("TikTok SKU", sku), ("Why", why), ("See", f"/orders stock {sku}"))
    return alert(text, (Heading(title), KeyValues(facts)))
