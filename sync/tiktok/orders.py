"""Orders, seller cancellations, cancellation records and tracking (TikTok reference §8-§13)."""

from collections.abc import Iterator, Sequence

from sync.tiktok import cancellations, models
from sync.tiktok.calls import TikTokCalls, segment

ORDER_IDS_PER_CALL = 50  # Get Order Detail takes at most 50 ids
CANCELLATIONS_PAGE_SIZE = 50  # Search Cancellations' maximum page size


class OrderCalls(TikTokCalls):
    def search_orders(
        self,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        order_status: str | None = None,
        page_size: int = 100,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Iterator[models.OrderPage]:
        """One request per page, following `next_page_token` until it is empty (or repeats).

        Orders that cannot be read are left out of `OrderPage.orders` and named in
        `OrderPage.skipped` (each logged with what is wrong)."""
        filters = {
            "order_status": order_status,
            "create_time_ge": create_time_ge,
            "create_time_lt": create_time_lt,
            "update_time_ge": update_time_ge,
            "update_time_lt": update_time_lt,
        }
        body = {name: value for name, value in filters.items() if value is not None}
        params = {"page_size": str(page_size), "sort_field": sort_field, "sort_order": sort_order}
        path = "/order/202309/orders/search"
        yield from self._pages("search_orders", path, params, body, models.parse_order_page)

    def get_orders(
        self, order_ids: Sequence[str], *, skipped: list[str] | None = None
    ) -> list[models.TikTokOrder]:
        """The readable ones of these orders. One that cannot be read is logged and left out;
        its id is appended to `skipped` when a list is given."""
        orders: list[models.TikTokOrder] = []
        for start in range(0, len(order_ids), ORDER_IDS_PER_CALL):
            ids = ",".join(order_ids[start : start + ORDER_IDS_PER_CALL])
            found, unreadable = self._call(
                "get_orders",
                "GET",
                "/order/202309/orders",
                lambda data: models.parse_orders(data.get("orders")),
                params={"ids": ids},
            )
            orders += found
            if skipped is not None:
                skipped += unreadable
        return orders

    def cancel_order(self, order_id: str, cancel_reason: str) -> cancellations.CancelResult:
        """Cancel Order is a POST that is not idempotent: a retry after a cancel that landed
        (its answer lost) would meet 25001011/25001051 and report a refusal. So a timeout, a
        lost connection or a 5xx ends it as `Unavailable` after one attempt, and the caller
        re-reads the order to learn what happened; a 429 (nothing done) is still retried."""
        return self._call(
            "cancel_order",
            "POST",
            "/return_refund/202309/cancellations",
            cancellations.parse_cancel_result,
            body={"order_id": order_id, "cancel_reason": cancel_reason},
            idempotent=False,
        )

    def search_cancellations(self, *, order_ids: Sequence[str]) -> list[cancellations.Cancellation]:
        """Every cancellation record of these orders; an order may have several (pick one
        with `models.effective_cancellations`)."""
        if not order_ids:  # an empty filter would match every cancellation of the shop
            return []
        params = {"page_size": str(CANCELLATIONS_PAGE_SIZE)}
        body = {"order_ids": list(order_ids)}
        path = "/return_refund/202309/cancellations/search"
        pages = self._pages("search_cancellations", path, params, body, _cancellations)
        return [cancellation for page in pages for cancellation in page]

    def get_tracking(self, order_id: str) -> list[models.TrackingEvent]:
        return self._call(
            "get_tracking",
            "GET",
            f"/fulfillment/202309/orders/{segment(order_id)}/tracking",
            lambda data: [models.parse_tracking_event(e) for e in data.get("tracking") or ()],
        )


def _cancellations(data: dict) -> list[cancellations.Cancellation]:
    return cancellations.parse_cancellations(data.get("cancellations"))
