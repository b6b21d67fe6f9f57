"""Stock pools: which products of a listing share one quantity (Etsy reference §7.2 rules 4–5).

A listing's `quantity_on_property` names the properties whose values may give products
different quantities; products that agree on those properties share one quantity and move
together (with none named, every product of the listing shares one). A SKU's units come out of
the pool(s) its products sit in.
"""

from collections import defaultdict
from dataclasses import dataclass

from sync.etsy.inventory import Product, PropertyKey, products


@dataclass(frozen=True)
class Pool:
    """The products a sold SKU moves together, and their shared quantity."""

    id: frozenset[PropertyKey]  # the quantity-property values of the pools it spans
    products: tuple[Product, ...]
    quantity: int | None  # None: the pools it spans hold different quantities
    skus: tuple[str, ...]  # every SKU in those pools (they all move together)
    tangled: bool = False  # another SKU spans some but not all of the same pools


def _pool_key(product: Product, quantity_props: set[int]) -> PropertyKey:
    return tuple((prop, values) for prop, values in product.key if prop in quantity_props)


def pools(inventory: dict) -> dict[str, Pool]:
    """SKU → its pool. Products without a SKU still count as pool members."""
    quantity_props = {int(prop) for prop in inventory.get("quantity_on_property") or ()}
    members: dict[PropertyKey, list[Product]] = defaultdict(list)
    spans: dict[str, set[PropertyKey]] = defaultdict(set)
    for product in products(inventory):
        key = _pool_key(product, quantity_props)
        members[key].append(product)
        if product.sku:
            spans[product.sku].add(key)
    result = {}
    for sku, keys in spans.items():
        group = tuple(product for key in sorted(keys) for product in members[key])
        quantities = {product.quantity for product in group}
        result[sku] = Pool(
            id=frozenset(keys),
            products=group,
            quantity=quantities.pop() if len(quantities) == 1 else None,
            skus=tuple(sorted({p.sku for p in group if p.sku})),
            tangled=any(keys & other and keys != other for other in spans.values()),
        )
    return result


def ambiguity(listing_id: int, sku: str, pool: Pool) -> str | None:
    if pool.tangled:
        return (
            f"{sku} shares stock on listing {listing_id} with other SKUs in a way orderbot "
            "cannot split (their quantity properties overlap)"
        )
    if pool.quantity is None:
        quantities = sorted({product.quantity for product in pool.products})
        return (
            f"{sku} is on {len(pool.products)} products of listing {listing_id} with different "
            f"quantities ({', '.join(map(str, quantities))})"
        )
    return None
