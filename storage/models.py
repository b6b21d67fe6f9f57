"""Stored tables. Shapes that cross a boundary (API payloads, replies) live elsewhere."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import Money, UTCDateTime


def _time(**kwargs):
    return Field(default=None, sa_column=Column(UTCDateTime(), **kwargs))


def column_length(model: type[SQLModel], name: str) -> int:
    """The most characters a model's string column holds (PostgreSQL refuses more; SQLite
    would not say): the one place those bounds are written."""
    length = model.__table__.c[name].type.length
    if length is None:
        raise ValueError(f"{model.__tablename__}.{name} has no length")
    return length


class Shop(SQLModel, table=True):
    __tablename__ = "shops"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    tiktok_shop_id: str | None = Field(default=None, max_length=64)
    tiktok_cipher: str | None = Field(default=None, max_length=200)
    etsy_shop_id: str | None = Field(default=None, max_length=64)


class Credential(SQLModel, table=True):
    """A marketplace's OAuth tokens, encrypted with ORDERBOT_SECRET_KEY."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("shop_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    platform: str = Field(max_length=16)  # "tiktok" | "etsy"
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str | None = Field(default=None, sa_column=Column(Text))
    access_expires_at: datetime | None = _time()
    refresh_expires_at: datetime | None = _time()
    updated_at: datetime | None = _time()
    # Fingerprint of the settings' tokens these descend from: new ones there mean the seller
    # authorised the app again, and they win over these.
    seeded_from: str | None = Field(default=None, max_length=64)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        # "section X, newest first, page N" and "all, newest first".
        Index("ix_orders_section_created", "shop_id", "section", "created_at", "id"),
        Index("ix_orders_created", "shop_id", "created_at", "id"),
        Index("ix_orders_placement", "shop_id", "placement"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    tiktok_order_id: str = Field(max_length=32, unique=True)
    tiktok_status: str = Field(max_length=32)
    section: str = Field(max_length=32)
    partial: bool = False  # PARTIALLY_SHIPPING
    placement: str = Field(max_length=16)  # a storage.states.Placement
    failure_reason: str | None = Field(default=None, max_length=32)  # a states.FailureReason
    failure_detail: str | None = Field(default=None, sa_column=Column(Text))
    fulfilled_by: str = Field(max_length=16)  # "SELLER" | "TIKTOK"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    paid_at: datetime | None = _time()
    collected_at: datetime | None = _time()
    delivered_at: datetime | None = _time()
    cancelled_at: datetime | None = _time()
    completed_at: datetime | None = _time()
    total_amount: Decimal | None = Field(default=None, sa_column=Column(Money()))
    currency: str = Field(default="", max_length=8)
    cancel_reason: str | None = Field(default=None, max_length=400)  # TikTok's display text
    cancel_reason_key: str | None = Field(default=None, max_length=120)
    cancel_initiator: str | None = Field(default=None, max_length=16)
    cancel_requested_by: str | None = Field(default=None, max_length=64)
    cancel_requested_at: datetime | None = _time()
    return_requested: bool = False
    return_state: str | None = Field(default=None, max_length=24)  # a states.ReturnMark
    synced_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


@dataclass(frozen=True)
class Component:
    """One product of a combined-listing bundle: `sku_count` units of it per bundle."""

    sku_id: str
    sku_count: int
    seller_sku: str | None  # None when TikTok sent only the sku_id


class OrderLine(SQLModel, table=True):
    """One TikTok line item: one unit (or, for a combined listing, one bundle)."""

    __tablename__ = "order_lines"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    tiktok_line_id: str = Field(max_length=32, unique=True)
    sku_id: str = Field(max_length=64)
    seller_sku: str = Field(default="", max_length=200)
    product_name: str = Field(default="", max_length=400)
    sku_name: str = Field(default="", max_length=400)
    sale_price: Decimal | None = Field(default=None, sa_column=Column(Money()))
    currency: str = Field(default="", max_length=8)
    display_status: str | None = Field(default=None, max_length=32)
    # JSON list of {"sku_id", "sku_count", "seller_sku"} for a combined-listing bundle.
    combined: str | None = Field(default=None, sa_column=Column(Text))

    def components(self) -> list[Component]:
        """The bundle's products, or none for a line that is not a combined listing."""
        return [
            Component(
                sku_id=str(part["sku_id"]),
                sku_count=int(part["sku_count"]),
                seller_sku=part.get("seller_sku") or None,
            )
            for part in json.loads(self.combined or "[]")
        ]


class Reservation(SQLModel, table=True):
    """Units of one SKU reserved on one Etsy listing for one order line."""

    __tablename__ = "reservations"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    line_id: int = Field(foreign_key="order_lines.id")
    tiktok_sku: str = Field(max_length=200)
    etsy_sku: str = Field(max_length=200)
    listing_id: int
    product_id: int | None = None  # at the time of reservation; Etsy renews ids on every update
    units: int
    state: str = Field(max_length=16)  # a storage.states.ReservationState
    reserve_intent_id: int | None = Field(default=None, foreign_key="stock_intents.id")
    restore_intent_id: int | None = Field(default=None, foreign_key="stock_intents.id")


class StockIntent(SQLModel, table=True):
    """A journal entry written before an Etsy inventory write, finished after it."""

    __tablename__ = "stock_intents"
    __table_args__ = (Index("ix_stock_intents_open", "shop_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    listing_id: int
    kind: str = Field(max_length=16)  # a storage.states.IntentKind
    state: str = Field(max_length=16)  # a storage.states.IntentState
    # JSON: product ids seen when planned (Etsy renews them on every update, so a change
    # tells whether any write happened since) and [{sku, before, after}] per SKU.
    product_ids_before: str = Field(sa_column=Column(Text, nullable=False))
    changes: str = Field(sa_column=Column(Text, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _time()


class SkuMapping(SQLModel, table=True):
    __tablename__ = "sku_mappings"
    __table_args__ = (UniqueConstraint("shop_id", "tiktok_sku"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    tiktok_sku: str = Field(max_length=200)
    etsy_sku: str = Field(max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class FetchState(SQLModel, table=True):
    """The fetch cursor and the last fetch's outcome, per shop."""

    __tablename__ = "fetch_state"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    cursor: int | None = None  # TikTok update_time (Unix s) the next fetch starts from
    last_started_at: datetime | None = _time()
    last_finished_at: datetime | None = _time()
    last_ok_at: datetime | None = _time()
    last_summary: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class OrderEvent(SQLModel, table=True):
    """An order's history: what changed, who or what did it, when."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)  # a storage.states.Actor, or a Slack user id
    kind: str = Field(max_length=32)  # a storage.states.EventKind
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class SectionCount(SQLModel, table=True):
    """Orders per section, kept in step with `orders` so counts stay O(sections) at any size."""

    __tablename__ = "section_counts"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    section: str = Field(max_length=32, primary_key=True)
    count: int = 0


class Lease(SQLModel, table=True):
    """A named lock with an expiry, so a dead holder does not block forever."""

    __tablename__ = "leases"

    name: str = Field(max_length=120, primary_key=True)
    holder: str = Field(max_length=120)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Alert(SQLModel, table=True):
    """A channel alert, posted once per (order, event) and updated in place afterwards.

    The unique `key` is claimed before posting, so restarts and several instances never post
    the same alert twice.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state", "shop_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    key: str = Field(max_length=200, unique=True)  # e.g. "placement_failed:<tiktok order id>"
    kind: str = Field(max_length=32)  # storage.states.AlertKind
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    channel: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=64)  # Slack message ts once posted
    state: str = Field(max_length=16)  # storage.states.AlertState
    # A row shown by a summary or a failure group: that alert's key (its members are found
    # by it).
    batch_key: str | None = Field(default=None, max_length=200, index=True)
    # Of the message as last sent: a re-render that differs is sent with chat.update.
    fingerprint: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # posts refused
    last_error: str | None = Field(default=None, sa_column=Column(Text))  # the last refusal
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    posted_at: datetime | None = _time()
    updated_at: datetime | None = _time()
    handled_by: str | None = Field(default=None, max_length=64)
    # A `placement_failures` group: the reason its orders failed for, the first one's detail,
    # and the TikTok SKUs that failed (a JSON list; none when the failure names no SKU). Its
    # members carry its key in `batch_key`, as a summary's do.
    failure_reason: str | None = Field(default=None, max_length=32)
    failure_detail: str | None = Field(default=None, sa_column=Column(Text))
    failed_skus: str | None = Field(default=None, sa_column=Column(Text))


def _big_key():
    return Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class EtsyListing(SQLModel, table=True):
    """A listing of the shop as the SKU index last read it (getListingsByShop, Etsy §6.1)."""

    __tablename__ = "etsy_listings"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    listing_id: int = _big_key()
    state: str = Field(max_length=16)  # one of sync.skus.INDEXED_STATES
    # Etsy's last_modified_timestamp (Unix s): what the incremental refresh pages by.
    modified: int = Field(sa_column=Column(BigInteger, nullable=False))
    title: str = Field(default="", max_length=200)
    read_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EtsySku(SQLModel, table=True):
    """One SKU on one indexed listing: the quantity its products share, or why orderbot
    cannot use it (products of the listing hold different quantities, tangled pools)."""

    __tablename__ = "etsy_skus"
    __table_args__ = (Index("ix_etsy_skus_sku", "shop_id", "sku"),)

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    listing_id: int = _big_key()
    sku: str = Field(max_length=200, primary_key=True)
    quantity: int | None = None  # None: its products hold different quantities
    problem: str | None = Field(default=None, max_length=400)
    # When the index last saw its quantity (or problem) change: stock push compares these.
    changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EtsyIndexMark(SQLModel, table=True):
    """How far the SKU index has read one listing state, and when it last walked it whole."""

    __tablename__ = "etsy_index_marks"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    state: str = Field(max_length=16, primary_key=True)
    # The next pass reads this state's listings modified at or after this (Unix s): the newest
    # last_modified_timestamp read, or one past it once that second is over.
    watermark: int | None = Field(default=None, sa_column=Column(BigInteger))
    refreshed_at: datetime | None = _time()
    full_walk_at: datetime | None = _time()


class EtsyQuota(SQLModel, table=True):
    """Etsy's daily quota as its last answer told it (x-remaining-today, x-limit-per-day)."""

    __tablename__ = "etsy_quota"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    remaining_today: int
    limit_per_day: int | None = None
    seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# --- stock push (SPEC §3.2): the TikTok SKU catalogue and the pushes made to it --------------


class TikTokSku(SQLModel, table=True):
    """One SKU of the shop's TikTok products as Search Products last showed it."""

    __tablename__ = "tiktok_skus"
    __table_args__ = (
        Index("ix_tiktok_skus_seller_sku", "shop_id", "seller_sku"),
        Index("ix_tiktok_skus_product", "shop_id", "product_id"),
    )

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    sku_id: str = Field(max_length=64, primary_key=True)
    product_id: str = Field(max_length=64)
    product_status: str = Field(max_length=32)  # sync.tiktok.products.ProductStatus
    seller_sku: str = Field(default="", max_length=200)
    # Every warehouse the SKU has, in TikTok's order (a JSON list): Update Inventory names all.
    warehouses: str = Field(sa_column=Column(Text, nullable=False))
    quantity: int = 0  # its total over those warehouses, as read
    read_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Why the last push cycle could not push it (no Etsy listing, ambiguous), or None.
    problem: str | None = Field(default=None, max_length=400)


class TikTokCatalogMark(SQLModel, table=True):
    """How far the catalogue has read TikTok's products, and when it last read them all."""

    __tablename__ = "tiktok_catalog_marks"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    watermark: int | None = Field(default=None, sa_column=Column(BigInteger))  # update_time
    refreshed_at: datetime | None = _time()
    full_at: datetime | None = _time()


class StockPush(SQLModel, table=True):
    """One SKU set on TikTok from Etsy's quantity: recorded `pending` before the call,
    `done` or `failed` after it; one left `pending` was cut short."""

    __tablename__ = "stock_pushes"
    __table_args__ = (
        Index("ix_stock_pushes_sku", "shop_id", "sku_id", "id"),
        Index("ix_stock_pushes_state", "shop_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    sku_id: str = Field(max_length=64)
    product_id: str = Field(max_length=64)
    seller_sku: str = Field(max_length=200)
    etsy_sku: str = Field(max_length=200)
    listing_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    etsy_quantity: int  # what the SKU index held for the Etsy SKU
    buffer: int  # ORDERBOT_STOCK_BUFFER then
    quantity: int  # what TikTok was asked to show: etsy_quantity - buffer, at least 0
    state: str = Field(max_length=16)  # storage.states.PushState
    failures: int = 0  # failed pushes of this SKU in a row, this one included
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _time()


# --- returns, refunds and buyer cancellation requests (SPEC §4.2) ---------------------------


class AfterSalesRequest(SQLModel, table=True):
    """One return, refund, replacement or buyer cancellation request, as TikTok last showed
    it, with what orderbot did about it."""

    __tablename__ = "after_sales_requests"
    __table_args__ = (
        UniqueConstraint("shop_id", "request_id"),
        Index("ix_after_sales_open", "shop_id", "is_open", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    request_id: str = Field(max_length=64)  # TikTok's return_id or cancel_id
    order_id: int = Field(foreign_key="orders.id", index=True)
    tiktok_order_id: str = Field(max_length=32)
    kind: str = Field(max_length=24)  # a states.RequestKind
    status: str = Field(max_length=64)  # TikTok's return_status / cancel_status
    is_open: bool = False  # still waiting for the seller or the buyer
    seller_action: str | None = Field(default=None, max_length=64)  # what TikTok asks now
    deadline: datetime | None = _time()  # TikTok answers by itself then
    role: str | None = Field(default=None, max_length=16)  # who opened it
    reason_key: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=400)  # display text
    amount: Decimal | None = Field(default=None, sa_column=Column(Money()))
    currency: str = Field(default="", max_length=8)
    # JSON list of {"order_line_item_id", "seller_sku", "product_name", "refund_total"}.
    line_items: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of {"at", "status", "by"}: each status TikTok showed, oldest first.
    history: str = Field(sa_column=Column(Text, nullable=False))
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    synced_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    received_at: datetime | None = _time()  # a returned parcel reached the seller
    # An answer under way (claimed before TikTok is called) and the last one sent.
    answer_key: str | None = Field(default=None, max_length=255)
    answering_by: str | None = Field(default=None, max_length=64)
    answering_at: datetime | None = _time()
    answer: str | None = Field(default=None, max_length=400)
    answered_by: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = _time()
    restock_by: str | None = Field(default=None, max_length=64)
    restock_at: datetime | None = _time()

    def lines(self) -> list[dict]:
        return json.loads(self.line_items or "[]")

    def entries(self) -> list[dict]:
        return json.loads(self.history or "[]")


class RequestCursor(SQLModel, table=True):
    """Where the next Search Returns starts (TikTok update_time, Unix s), per shop."""

    __tablename__ = "after_sales_cursor"

    shop_id: int = Field(foreign_key="shops.id", primary_key=True)
    cursor: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- shipping (SPEC §4.1) ---------------------------------------------------------------------


class OrderShipping(SQLModel, table=True):
    """How an order ships and by when, as TikTok last told it (reference §16.1), one per order."""

    __tablename__ = "order_shipping"
    __table_args__ = (Index("ix_order_shipping_ship_by", "shop_id", "ship_by"),)

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    shipping_type: str = Field(max_length=16)  # sync.tiktok.ShippingType
    delivery_option_id: str | None = Field(default=None, max_length=64)
    ship_by: datetime | None = _time()  # rts_sla_time
    auto_cancel_at: datetime | None = _time()  # shipping_due_time
    shipped_at: datetime | None = _time()  # rts_time
    tracking_number: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64)
    provider_name: str | None = Field(default=None, max_length=200)


class Shipment(SQLModel, table=True):
    """A ship or a tracking correction asked of TikTok: claimed (its unique `key`) before the
    call, finished after it, so a retry, a double click or a crash never sends it twice."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_order", "order_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    # "ship:<order>:<line set>" or "correct:<order>" (TikTok allows one correction per order).
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=16)  # storage.states.ShipmentKind
    state: str = Field(max_length=16)  # storage.states.ShipmentState
    provider_id: str = Field(max_length=64)
    provider_name: str = Field(max_length=200)
    tracking_number: str = Field(max_length=64)
    line_ids: str | None = Field(default=None, sa_column=Column(Text))  # JSON; None: the rest
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _time()
    package_id: str | None = Field(default=None, max_length=64)
    warning: str | None = Field(default=None, sa_column=Column(Text))


# --- placement scans (migration 0008_placement_indexes) ----------------------------------
# Declared apart from their tables so that merges with other blocks stay easy. Each serves
# a scan a settle makes, so a settle's cost per order stays flat as the tables grow.

# The pending orders, oldest first, in keyset chunks (queries.pending_order_keys).
Index(
    "ix_orders_placement_created",
    Order.__table__.c.shop_id,
    Order.__table__.c.placement,
    Order.__table__.c.created_at,
    Order.__table__.c.id,
)
# TikTok-cancelled orders whose reason is still to learn (queries.cancelled_without_reason).
Index(
    "ix_orders_cancel_reason",
    Order.__table__.c.shop_id,
    Order.__table__.c.tiktok_status,
    Order.__table__.c.cancel_reason_key,
)
# An intent's reservations, reserving or restoring (queries.reservations_of_intent).
Index("ix_reservations_reserve_intent", Reservation.__table__.c.reserve_intent_id)
Index("ix_reservations_restore_intent", Reservation.__table__.c.restore_intent_id)
# Units still held, by listing (queries.reservations_owed_back).
Index(
    "ix_reservations_state_listing",
    Reservation.__table__.c.state,
    Reservation.__table__.c.listing_id,
    Reservation.__table__.c.id,
)
