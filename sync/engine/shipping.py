"""Ship a seller-shipped order on TikTok, or correct its tracking once (SPEC §4.1).

Exactly once: each TikTok call is claimed first (a `shipments` row with a unique key: the order
and the line items it ships, or the order's one correction), finished after TikTok answers. A
claim TikTok refused is dropped (nothing happened), so it may be asked again. A claim whose
answer was lost stays until the order, read back from TikTok, says whether it went through; a
claim younger than `PENDING_GRACE` is a request still under way (a double click), left alone.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from storage import queries
from storage.db import transaction
from storage.models import Order, OrderLine, OrderShipping, Shipment
from storage.states import EventKind, ShipmentKind, ShipmentState
from sync import history, sections
from sync.engine.actions import require_order
from sync.engine.context import EngineContext
from sync.engine.errors import EngineError
from sync.errors import MarketplaceError, Rejected
from sync.ingest import refresh_section
from sync.shipping import TO_SHIP, carriers
from sync.tiktok.fulfillment import ShippingProvider
from sync.tiktok.models import ShippingType, TikTokOrder

SHIPPED = (sections.AWAITING_COLLECTION, sections.IN_TRANSIT)
CORRECTION_WINDOW = timedelta(hours=72)  # US, UK, SEA (reference §16.4)
PENDING_GRACE = timedelta(minutes=2)  # a ship call is tried once, well within this


class ShipRefused(EngineError):
    """A ship or correction refused before (or by) TikTok; nothing was shipped or changed."""


@dataclass(frozen=True)
class ShipPlan:
    """What the Ship… form offers: the order, its carriers and the items still to ship."""

    order: Order
    providers: tuple[ShippingProvider, ...]
    lines: tuple[OrderLine, ...]  # still to ship (all of them unless shipped in parts)
    correcting: bool  # shipped already: the form corrects its tracking


@dataclass(frozen=True)
class ShipOutcome:
    order: Order
    how: str  # "shipped", "partly_shipped", "corrected" or "already"
    provider_name: str
    tracking_number: str
    warning: str | None = None  # TikTok doubts the number fits the carrier
    items: int = 0  # line items this shipment holds (0: the whole order)


@dataclass(frozen=True)
class _Stored:
    order: Order
    facts: OrderShipping | None
    lines: list[OrderLine]
    shipments: list[Shipment]


def _load(ctx: EngineContext, tiktok_order_id: str) -> _Stored:
    with ctx.sessions() as session:
        order = require_order(ctx, session, tiktok_order_id)
        return _Stored(
            order=order,
            facts=queries.shipping_of(session, order_ids=[order.id]).get(order.id),
            lines=queries.lines_of(session, order_ids=[order.id])[order.id],
            shipments=queries.shipments_of(session, order_id=order.id),
        )


def _check_shippable(stored: _Stored) -> OrderShipping:
    order, facts = stored.order, stored.facts
    oid, status = order.tiktok_order_id, order.tiktok_status
    if order.fulfilled_by == "TIKTOK" or (facts and facts.shipping_type == ShippingType.TIKTOK):
        raise ShipRefused(
            f"Order {oid} is shipped by TikTok (a TikTok label or fulfilled by TikTok); there is "
            "no tracking number for the seller to send. Nothing was sent."
        )
    if status in sections.NOT_YET_SHIPPABLE:
        why = "on hold" if status == sections.ON_HOLD else "not paid yet"
        raise ShipRefused(
            f"Order {oid} is {why}; TikTok lets it ship only once it is awaiting shipment. "
            "Nothing was sent."
        )
    if status == sections.CANCELLED:
        raise ShipRefused(f"Order {oid} is cancelled; there is nothing to ship. Nothing was sent.")
    if status not in (*TO_SHIP, *SHIPPED):
        raise ShipRefused(
            f"Order {oid} is {sections.Section(order.section).title}; its tracking can no longer "
            "be changed. Nothing was sent."
        )
    if facts is None or not facts.delivery_option_id:
        raise ShipRefused(
            f"TikTok has not said how order {oid} ships (it has no delivery option), so orderbot "
            "cannot tell its carriers. Run /orders fetch, then try again. Nothing was sent."
        )
    return facts


def _shipped_lines(shipments: Sequence[Shipment]) -> set[str]:
    done = set()
    for shipment in shipments:
        if shipment.kind == ShipmentKind.SHIP and shipment.state == ShipmentState.DONE:
            done.update(json.loads(shipment.line_ids) if shipment.line_ids else ())
    return done


def plan(ctx: EngineContext, tiktok_order_id: str) -> ShipPlan:
    """What the Ship… form needs (asks TikTok for the order's carriers)."""
    stored = _load(ctx, tiktok_order_id)
    facts = _check_shippable(stored)
    providers = ctx.tiktok.shipping_providers(facts.delivery_option_id)
    if not providers:
        raise ShipRefused(
            f"TikTok lists no carriers for order {tiktok_order_id}; ship it in TikTok Seller "
            "Center. Nothing was sent."
        )
    shipped = _shipped_lines(stored.shipments)
    return ShipPlan(
        order=stored.order,
        providers=tuple(providers),
        lines=tuple(line for line in stored.lines if line.tiktok_line_id not in shipped),
        correcting=stored.order.tiktok_status in SHIPPED,
    )


def ship(
    ctx: EngineContext,
    tiktok_order_id: str,
    carrier: str,
    tracking_number: str,
    *,
    line_ids: Sequence[str] | None = None,
    actor: str,
) -> ShipOutcome:
    """Ship the order (or only `line_ids`) with `carrier`, or correct its tracking if it has
    shipped. Refusals raise `ShipRefused` and send nothing."""
    stored = _load(ctx, tiktok_order_id)
    facts = _check_shippable(stored)
    if problem := carriers.tracking_problem(tracking_number):
        raise ShipRefused(f"{problem} Nothing was sent.")
    providers = ctx.tiktok.shipping_providers(facts.delivery_option_id)
    provider = carriers.match(carrier, providers)
    if isinstance(provider, carriers.NoCarrier):
        raise ShipRefused(_no_carrier(provider, providers))
    if stored.order.tiktok_status in SHIPPED:
        if line_ids:
            raise ShipRefused(
                f"Order {tiktok_order_id} has shipped already; only its tracking can be "
                "corrected, for the whole order. Nothing was sent."
            )
        return _correct(ctx, stored, facts, provider, tracking_number, actor)
    return _ship(ctx, stored, provider, tracking_number, line_ids, actor)


def _no_carrier(found: carriers.NoCarrier, providers: Sequence[ShippingProvider]) -> str:
    typed = found.typed[:40]
    if found.fitting:
        names = ", ".join(p.name for p in found.fitting)
        head = f"“{typed}” fits several of TikTok's carriers for this order: {names}."
    else:
        head = f"“{typed}” is none of TikTok's carriers for this order."
    listed = ", ".join(p.name for p in providers) or "none"
    return f"{head} Carriers: {listed}. Nothing was sent."


# --- shipping --------------------------------------------------------------------------------


def _line_set(stored: _Stored, line_ids: Sequence[str] | None) -> tuple[str, ...] | None:
    """The line items this shipment sends (sorted), or None for the whole order."""
    known = [line.tiktok_line_id for line in stored.lines]
    shipped = _shipped_lines(stored.shipments)
    oid = stored.order.tiktok_order_id
    if line_ids:
        unknown = [i for i in line_ids if i not in known]
        if unknown:
            raise ShipRefused(f"Order {oid} has no line item {unknown[0][:40]}. Nothing was sent.")
        again = [i for i in line_ids if i in shipped]
        if again:
            raise ShipRefused(
                f"Line item {again[0]} of order {oid} has shipped already. Nothing was sent."
            )
        chosen = tuple(sorted(set(line_ids)))
        if not shipped and len(chosen) == len(set(known)):
            return None  # every item: the whole order
        return chosen
    if shipped:
        rest = tuple(sorted(i for i in set(known) if i not in shipped))
        return rest or None
    return None


def _key(kind: str, order: Order, line_set: tuple[str, ...] | None) -> str:
    if kind == ShipmentKind.CORRECT:
        return f"correct:{order.tiktok_order_id}"
    part = "all" if line_set is None else hashlib.sha256(",".join(line_set).encode()).hexdigest()
    return f"ship:{order.tiktok_order_id}:{part[:32]}"


def _ship(
    ctx: EngineContext,
    stored: _Stored,
    provider: ShippingProvider,
    tracking_number: str,
    line_ids: Sequence[str] | None,
    actor: str,
) -> ShipOutcome:
    order = stored.order
    line_set = _line_set(stored, line_ids)
    key = _key(ShipmentKind.SHIP, order, line_set)
    claim = _take_claim(
        ctx,
        stored,
        Shipment(
            order_id=order.id,
            key=key,
            kind=ShipmentKind.SHIP,
            state=ShipmentState.PENDING,
            provider_id=provider.id,
            provider_name=provider.name,
            tracking_number=tracking_number,
            line_ids=json.dumps(list(line_set)) if line_set is not None else None,
            requested_by=actor,
            requested_at=ctx.clock(),
        ),
    )
    if claim.state == ShipmentState.DONE:  # shipped by an earlier request
        return _already(ctx, order, claim)
    try:
        result = ctx.tiktok.mark_shipped(
            order.tiktok_order_id,
            shipping_provider_id=provider.id,
            tracking_number=tracking_number,
            line_item_ids=line_set,
        )
    except MarketplaceError as exc:
        if not _settle_lost(ctx, claim, exc):
            raise
        return _already(ctx, order, claim)
    _finish(ctx, claim, package_id=result.package_id or None, warning=result.warning)
    with ctx.sessions() as session:
        order = session.get(Order, order.id)
    return ShipOutcome(
        order=order,
        how="partly_shipped" if order.tiktok_status == sections.PARTIALLY_SHIPPING else "shipped",
        provider_name=provider.name,
        tracking_number=tracking_number,
        warning=result.warning,
        items=len(line_set or ()),
    )


# --- correcting ------------------------------------------------------------------------------


def _correct(
    ctx: EngineContext,
    stored: _Stored,
    facts: OrderShipping,
    provider: ShippingProvider,
    tracking_number: str,
    actor: str,
) -> ShipOutcome:
    order = stored.order
    oid = order.tiktok_order_id
    if facts.tracking_number == tracking_number and facts.provider_id in (None, provider.id):
        return ShipOutcome(order, "already", provider.name, tracking_number)
    used = next(
        (s for s in stored.shipments if s.kind == ShipmentKind.CORRECT),
        None,
    )
    if used is not None and used.state == ShipmentState.DONE:
        raise ShipRefused(
            f"Order {oid} has had its one tracking correction already ({used.provider_name} "
            f"{used.tracking_number}, by {used.requested_by} at "
            f"{used.requested_at:%Y-%m-%d %H:%M} UTC); TikTok allows only one. Nothing was sent."
        )
    parcels = [
        s for s in stored.shipments if s.kind == ShipmentKind.SHIP and s.state == ShipmentState.DONE
    ]
    if len(parcels) > 1:
        raise ShipRefused(
            f"Order {oid} shipped in {len(parcels)} parcels; correct a parcel's tracking in "
            "TikTok Seller Center. Nothing was sent."
        )
    shipped_at = facts.shipped_at or (parcels[0].finished_at if parcels else None)
    now = ctx.clock()
    if shipped_at is not None and now - shipped_at > CORRECTION_WINDOW:
        raise ShipRefused(
            f"Order {oid} shipped at {shipped_at:%Y-%m-%d %H:%M} UTC, more than 72 hours ago; "
            "TikTok no longer lets its tracking be corrected. Nothing was sent."
        )
    claim = _take_claim(
        ctx,
        stored,
        Shipment(
            order_id=order.id,
            key=_key(ShipmentKind.CORRECT, order, None),
            kind=ShipmentKind.CORRECT,
            state=ShipmentState.PENDING,
            provider_id=provider.id,
            provider_name=provider.name,
            tracking_number=tracking_number,
            requested_by=actor,
            requested_at=now,
        ),
    )
    if claim.state == ShipmentState.DONE:
        return _already(ctx, order, claim)
    try:
        ctx.tiktok.update_shipping_info(
            oid, shipping_provider_id=provider.id, tracking_number=tracking_number
        )
    except MarketplaceError as exc:
        if not _settle_lost(ctx, claim, exc):
            raise
        return _already(ctx, order, claim)
    _finish(ctx, claim)
    return ShipOutcome(order, "corrected", provider.name, tracking_number)


# --- claims ----------------------------------------------------------------------------------


def _take_claim(ctx: EngineContext, stored: _Stored, shipment: Shipment) -> Shipment:
    """The claim for this call: taken now (pending), or one an earlier request finished
    (done, with that request's carrier and tracking). A claim still under way refuses."""
    oid = stored.order.tiktok_order_id
    for _ in range(2):
        with transaction(ctx.sessions) as session:
            if queries.claim_shipment(session, shipment=shipment):
                session.expunge(shipment)
                return shipment
            held = queries.shipment_by_key(session, key=shipment.key)
            if held is None:
                continue  # released meanwhile: claim again
            session.expunge(held)
        if held.state == ShipmentState.DONE:
            if (
                held.kind == ShipmentKind.CORRECT
                and held.tracking_number != shipment.tracking_number
            ):
                raise ShipRefused(
                    f"Order {oid} has had its one tracking correction already; TikTok allows "
                    "only one. Nothing was sent."
                )
            return held
        if ctx.clock() - held.requested_at < PENDING_GRACE:
            raise ShipRefused(
                f"Order {oid} is being shipped already (asked by {held.requested_by} at "
                f"{held.requested_at:%H:%M:%S} UTC, {held.provider_name} "
                f"{held.tracking_number}); nothing more was sent."
            )
        if _went_through(ctx, held) is None:
            raise EngineError(
                f"An earlier ship of order {oid} got no answer from TikTok, and TikTok cannot be "
                "asked now whether it went through; nothing more was sent. Try again in a moment."
            )
        # Settled just now (finished, or released): look again.
    raise EngineError(f"Order {oid} is being shipped by another request; try again in a moment.")


def _settle_lost(ctx: EngineContext, claim: Shipment, exc: MarketplaceError) -> bool:
    """After a failed call: True when it went through all the same (now recorded as done).
    Otherwise raises what to tell the user, the claim released when nothing happened."""
    oid_text = f"order {_tiktok_id(ctx, claim)}"
    if isinstance(exc, Rejected):
        _release(ctx, claim, EventKind.SHIP_REFUSED, exc.message)
        raise ShipRefused(
            f"TikTok refused to ship {oid_text}: {exc.message.rstrip('.')}. Nothing was shipped."
        )
    went = _went_through(ctx, claim)
    if went:
        return True
    if went is None:
        raise EngineError(
            f"TikTok did not answer ({exc.message}), so whether {oid_text} shipped is not known "
            "yet; orderbot checks with TikTok before it is shipped again. Try again in a moment."
        ) from exc
    raise EngineError(
        f"Could not reach TikTok to ship {oid_text} ({exc.message}); it is not shipped. "
        "Try again in a moment."
    ) from exc


def _went_through(ctx: EngineContext, claim: Shipment) -> bool | None:
    """Read the order back from TikTok: did the claimed call go through? None when TikTok
    cannot say now. Settles the claim (done or released) when it can."""
    oid = _tiktok_id(ctx, claim)
    try:
        found = [o for o in ctx.tiktok.get_orders([oid]) if o.id == oid]
    except MarketplaceError:
        return None
    if not found:
        return None
    if _shows(found[0], claim):
        _finish(ctx, claim)
        return True
    _release(ctx, claim, EventKind.SHIP_FAILED, "TikTok's answer was lost; not shipped")
    return False


def _shows(incoming: TikTokOrder, claim: Shipment) -> bool:
    number = claim.tracking_number
    if incoming.tracking_number == number:
        return True
    if claim.kind == ShipmentKind.CORRECT:
        return False
    wanted = set(json.loads(claim.line_ids)) if claim.line_ids else None
    lines = [line for line in incoming.line_items if wanted is None or line.id in wanted]
    return bool(lines) and all(line.tracking_number == number for line in lines)


def _tiktok_id(ctx: EngineContext, claim: Shipment) -> str:
    with ctx.sessions() as session:
        return session.get(Order, claim.order_id).tiktok_order_id


def _release(ctx: EngineContext, claim: Shipment, kind: str, why: str) -> None:
    with transaction(ctx.sessions) as session:
        if queries.release_shipment(session, shipment_id=claim.id):
            history.record(
                session,
                claim.order_id,
                kind,
                f"{claim.provider_name} {claim.tracking_number}: {why}",
                actor=claim.requested_by,
                at=ctx.clock(),
            )


def _finish(
    ctx: EngineContext,
    claim: Shipment,
    *,
    package_id: str | None = None,
    warning: str | None = None,
) -> None:
    """Record a call that went through: the claim done, the tracking, the order's move to
    Awaiting Collection (or partially shipping) and its history, in one transaction."""
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        if not queries.finish_shipment(
            session, shipment_id=claim.id, now=now, package_id=package_id, warning=warning
        ):
            return  # another request recorded it
        queries.record_tracking(
            session,
            order_id=claim.order_id,
            tracking_number=claim.tracking_number,
            provider_id=claim.provider_id,
            provider_name=claim.provider_name,
            shipped_at=now,
        )
        order = queries.order_as_stored(session, order_id=claim.order_id)
        detail = f"{claim.provider_name}, tracking {claim.tracking_number}"
        if claim.kind == ShipmentKind.CORRECT:
            kind = EventKind.TRACKING_CORRECTED
        else:
            kind = EventKind.SHIPPED
            if claim.line_ids:
                detail += f", {len(json.loads(claim.line_ids))} item(s)"
            partial = _remaining_after_in(session, claim)
            # updated_at stays TikTok's: its next view of the order is newer and is stored.
            queries.move_tiktok_status(
                session,
                order_id=order.id,
                expected=TO_SHIP,
                to=sections.PARTIALLY_SHIPPING if partial else sections.AWAITING_COLLECTION,
                partial=partial,
            )
        if warning:
            detail += f" (TikTok: {warning})"
        history.record(session, order.id, kind, detail, actor=claim.requested_by, at=now)
        refresh_section(session, order, now)


def _remaining_after_in(session, claim: Shipment) -> bool:
    if claim.line_ids is None:
        return False
    lines = queries.lines_of(session, order_ids=[claim.order_id])[claim.order_id]
    shipped = _shipped_lines(queries.shipments_of(session, order_id=claim.order_id))
    return any(line.tiktok_line_id not in shipped for line in lines)


def _already(ctx: EngineContext, order: Order, claim: Shipment) -> ShipOutcome:
    with ctx.sessions() as session:
        order = session.get(Order, order.id)
    return ShipOutcome(order, "already", claim.provider_name, claim.tracking_number)


def settle_stale(ctx: EngineContext, limit: int = 50) -> int:
    """Claims a lost answer or a crash left pending past `PENDING_GRACE`, settled from the
    order as TikTok shows it (done, with its history, or released); how many were settled."""
    with ctx.sessions() as session:
        stale = queries.stale_shipments(
            session, shop_id=ctx.shop_id, requested_before=ctx.clock() - PENDING_GRACE, limit=limit
        )
        for claim in stale:
            session.expunge(claim)
    return sum(1 for claim in stale if _went_through(ctx, claim) is not None)
