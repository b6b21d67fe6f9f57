"""Typed `/orders` commands (SPEC §4), the result of parsing."""

from dataclasses import dataclass

from sync.sections import Section


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Fetch:
    pass


@dataclass(frozen=True)
class Status:
    section: Section | None  # None: all orders
    page: int = 1


@dataclass(frozen=True)
class Show:
    order_id: str


@dataclass(frozen=True)
class Cancel:
    order_id: str
    reason: str | None = None  # free text or a TikTok reason key; None asks for one


@dataclass(frozen=True)
class Map:
    tiktok_sku: str
    etsy_sku: str | None = None  # None asks for one (the "Map SKU…" button)


@dataclass(frozen=True)
class Mappings:
    """`map` alone: the SKU mappings, page by page."""

    page: int = 1


@dataclass(frozen=True)
class Unmap:
    tiktok_sku: str


@dataclass(frozen=True)
class Retry:
    order_id: str


@dataclass(frozen=True)
class Invalid:
    """Input that could not be understood; `message` says why and what would work."""

    message: str


@dataclass(frozen=True)
class Restock:
    """Give back the units of an order whose delivery failed (a button, not typed)."""

    order_id: str


@dataclass(frozen=True)
class MarkHandled:
    """Mark a channel alert handled (a button on the alert, not typed); admins only."""

    alert_key: str


@dataclass(frozen=True)
class ViewAllNew:
    """Every order a "new orders" summary alert stands for (its "View all" button)."""

    alert_key: str


@dataclass(frozen=True)
class RetryAll:
    """Retry every order of a failure group alert that still fails (its "Retry all" button)."""

    alert_key: str


@dataclass(frozen=True)
class ViewAllFailed:
    """Every order a failure group alert stands for (its "View all" button)."""

    alert_key: str


@dataclass(frozen=True)
class Ship:
    """`ship <order_id> <carrier> <tracking>` (SPEC §4.1); without carrier and tracking the
    Ship… form asks for them. `line_ids`: only these line items (the form's split shipping)."""

    order_id: str
    carrier: str | None = None
    tracking_number: str | None = None
    line_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Due:
    """`due [page]`: orders still to ship, soonest ship-by time first."""

    page: int = 1


@dataclass(frozen=True)
class Stock:
    """`stock <sku>`: the SKU's quantity on Etsy and on TikTok, and its last pushes."""

    sku: str


# --- returns, refunds and buyer cancellation requests (SPEC §4.2) ---------------------------


@dataclass(frozen=True)
class Returns:
    """Open requests, soonest deadline first."""

    page: int = 1


@dataclass(frozen=True)
class ReturnApprove:
    request_id: str


@dataclass(frozen=True)
class ReturnReject:
    request_id: str
    reason: str | None = None  # a reason name or text; None asks for one


@dataclass(frozen=True)
class ReturnRestock:
    """Give back the units of a return whose parcel came back (a button, not typed)."""

    request_id: str


Command = (
    Help
    | Fetch
    | Status
    | Show
    | Cancel
    | Map
    | Mappings
    | Unmap
    | Retry
    | Restock
    | MarkHandled
    | ViewAllNew
    | RetryAll
    | ViewAllFailed
    | Returns
    | ReturnApprove
    | ReturnReject
    | ReturnRestock
    | Invalid
    | Stock
    | Ship
    | Due
)
