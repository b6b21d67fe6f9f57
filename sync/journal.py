"""The stock-move journal: an intent is stored before each Etsy inventory write, finished after.

Etsy's inventory PUT has no idempotency key and replaces the listing's whole inventory, so a
crash or a timeout can leave us not knowing whether a write landed. Etsy gives every product a
new id on each inventory update: if the ids are those we saw when planning, nothing was written
since; if they changed and the quantities are what we meant to write, ours landed.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.models import StockIntent
from storage.states import IntentKind, IntentState
from sync.etsy.inventory import products, put_body
from sync.pools import pools


class Verdict(StrEnum):
    """Whether a write whose answer was lost landed on Etsy."""

    APPLIED = "applied"
    NOT_APPLIED = "not_applied"
    UNKNOWN = "unknown"  # the listing changed in a way that tells neither


@dataclass(frozen=True)
class Change:
    sku: str
    before: int
    after: int


def product_ids(inventory: dict) -> list[int]:
    return sorted(product.product_id for product in products(inventory))


def new_intent(
    *,
    shop_id: int,
    listing_id: int,
    kind: IntentKind,
    inventory: dict,
    changes: list[Change],
    now: datetime,
) -> StockIntent:
    return StockIntent(
        shop_id=shop_id,
        listing_id=listing_id,
        kind=kind,
        state=IntentState.PENDING,
        product_ids_before=json.dumps(product_ids(inventory)),
        changes=encoded(changes),
        created_at=now,
    )


def encoded(changes: list[Change]) -> str:
    """How an intent stores its planned changes."""
    return json.dumps([change.__dict__ for change in changes])


def changes_of(intent: StockIntent) -> list[Change]:
    return [Change(**item) for item in json.loads(intent.changes)]


def body_for(inventory: dict, changes: list[Change]) -> dict:
    """The PUT body that sets every product of each changed pool to its new quantity."""
    by_sku = pools(inventory)
    quantities = {}
    for change in changes:
        for product in by_sku[change.sku].products:
            quantities[product.key] = change.after
    return put_body(inventory, quantities)


def empties_listing(inventory: dict, changes: list[Change]) -> bool:
    """Would the write leave the listing with no stock at all?"""
    after = {}
    by_sku = pools(inventory)
    for change in changes:
        for product in by_sku[change.sku].products:
            after[product.key] = change.after
    return all(after.get(product.key, product.quantity) == 0 for product in products(inventory))


def pool_quantity(inventory: dict, sku: str) -> int | None:
    pool = pools(inventory).get(sku)
    return pool.quantity if pool is not None and not pool.tangled else None


def verdict(intent: StockIntent, inventory: dict) -> Verdict:
    """Quantities first: all at their planned values means ours landed, whatever the ids say
    (an Etsy that keeps ids stable must not be re-planned into taking units twice)."""
    changes = changes_of(intent)
    now = [pool_quantity(inventory, change.sku) for change in changes]
    if all(q == change.after for q, change in zip(now, changes, strict=True)):
        return Verdict.APPLIED
    if all(q == change.before for q, change in zip(now, changes, strict=True)):
        return Verdict.NOT_APPLIED
    if product_ids(inventory) == json.loads(intent.product_ids_before):
        return Verdict.NOT_APPLIED  # no write since we planned: only sales moved the quantities
    return Verdict.UNKNOWN


def rebase(intent: StockIntent, inventory: dict) -> bool:
    """Re-plan an open intent whose write never landed on today's quantities, in place (the
    caller commits); False, and the intent unchanged, when stock no longer allows it."""
    changes = _replanned(intent, inventory)
    if changes is None:
        return False
    intent.changes = encoded(changes)
    intent.product_ids_before = json.dumps(product_ids(inventory))
    return True


def _replanned(intent: StockIntent, inventory: dict) -> list[Change] | None:
    result = []
    for change in changes_of(intent):
        current = pool_quantity(inventory, change.sku)
        if current is None:
            return None
        after = current + (change.after - change.before)
        if after < 0:
            return None
        result.append(Change(change.sku, current, after))
    return result
