"""TikTok orders made to fit the columns they are stored in, before anything is written.

PostgreSQL refuses a value longer than its column, and with it the whole page's transaction, so
one odd value would stop every fetch at that page. The bounds are the models' own
(`storage.models.column_length`):

- ids and SKUs (the order's and its lines' ids, `sku_id`, `seller_sku`, combined-listing
  components) and the status: a cut one could name another order, line or product, or look
  like another status, so an order with one too long is unreadable, skipped as `parse_orders`
  skips a malformed one;
- display text and codes (names, the cancel reason, currency, display status, who cancelled)
  are cut. Every known code is shorter than its column, so a cut value is never taken for one.
"""

from dataclasses import replace

from storage.models import Order, OrderLine, column_length
from sync.tiktok.fields import Unreadable
from sync.tiktok.models import TikTokLineItem, TikTokOrder


def storable(order: TikTokOrder) -> TikTokOrder:
    """The order with its text cut to its columns; `Unreadable` when an id does not fit."""
    where = f"order {shown_id(order.id)}"
    _fits(order.id, Order, "tiktok_order_id", f"{where}.id")
    _fits(order.status, Order, "tiktok_status", f"{where}.status")
    for line in order.line_items:
        line_where = f"{where} line item {shown_id(line.id)}"
        _fits(line.id, OrderLine, "tiktok_line_id", f"{line_where}.id")
        _fits(line.sku_id, OrderLine, "sku_id", f"{line_where}.sku_id")
        _fits(line.seller_sku, OrderLine, "seller_sku", f"{line_where}.seller_sku")
        for part in line.combined:
            _fits(part.sku_id, OrderLine, "sku_id", f"{line_where} component sku_id")
            _fits(part.seller_sku, OrderLine, "seller_sku", f"{line_where} component seller_sku")
    return replace(
        order,
        currency=_cut(order.currency, Order, "currency"),
        cancel_reason=_cut(order.cancel_reason, Order, "cancel_reason"),
        cancellation_initiator=_cut(order.cancellation_initiator, Order, "cancel_initiator"),
        line_items=tuple(_line(line) for line in order.line_items),
    )


def shown_id(tiktok_id: str) -> str:
    """An id as a report names it: one too long to store is shown cut, marked so."""
    width = column_length(Order, "tiktok_order_id")
    return tiktok_id if len(tiktok_id) <= width else f"{tiktok_id[:width]}…"


def _line(line: TikTokLineItem) -> TikTokLineItem:
    return replace(
        line,
        product_name=_cut(line.product_name, OrderLine, "product_name"),
        sku_name=_cut(line.sku_name, OrderLine, "sku_name"),
        currency=_cut(line.currency, OrderLine, "currency"),
        display_status=_cut(line.display_status, OrderLine, "display_status"),
    )


def _fits(value: str | None, model, column: str, where: str) -> None:
    width = column_length(model, column)
    if value is not None and len(value) > width:
        raise Unreadable(f"{where} is longer than the {width} characters orderbot stores")


def _cut(value: str | None, model, column: str) -> str | None:
    return value[: column_length(model, column)] if value else value
