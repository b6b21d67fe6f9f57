"""Etsy ListingInventory: reading products and building the PUT body (Etsy reference §7).

Pure functions over the JSON Etsy returns. Products are named by their property values, not by
`product_id`, because Etsy gives every product a new id on each inventory update.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

# (property_id, sorted value_ids) per property, sorted; () for a listing without variations.
PropertyKey = tuple[tuple[int, tuple[int, ...]], ...]

# Returned by GET but refused by PUT (Listings Tutorial).
_READ_ONLY = {"product_id", "offering_id", "scale_name", "is_deleted", "value_pairs"}
_ON_PROPERTY = ("price_on_property", "quantity_on_property", "sku_on_property")


@dataclass(frozen=True)
class Product:
    sku: str | None
    key: PropertyKey
    product_id: int
    quantity: int  # of its first enabled, non-deleted offering


def money(m: dict) -> Decimal:
    """A Money object's value, exactly: amount / divisor."""
    divisor = int(m["divisor"])
    if divisor <= 0:
        raise ValueError(f"bad Money divisor: {divisor}")
    return Decimal(int(m["amount"])) / Decimal(divisor)


def property_key(product: dict) -> PropertyKey:
    return tuple(
        sorted(
            (int(value["property_id"]), tuple(sorted(int(v) for v in value.get("value_ids", ()))))
            for value in product.get("property_values") or ()
        )
    )


def products(inventory: dict) -> list[Product]:
    """The live products of a listing (deleted ones and ones with no live offering skipped)."""
    found = []
    for product in _live(inventory.get("products")):
        offering = _main_offering(product)
        if offering is None:
            continue
        found.append(
            Product(
                sku=product.get("sku") or None,
                key=property_key(product),
                product_id=int(product["product_id"]),
                quantity=int(offering["quantity"]),
            )
        )
    return found


def put_body(inventory: dict, quantities: Mapping[PropertyKey, int]) -> dict:
    """The updateListingInventory body: every live product, as read, with only the quantities
    of the products named in `quantities` changed. Raises ValueError for a key not in the
    listing, or a negative quantity."""
    unknown = set(quantities) - {property_key(p) for p in _live(inventory.get("products"))}
    if unknown:
        raise ValueError(f"no product with property values {sorted(unknown)}")
    negative = {key: qty for key, qty in quantities.items() if qty < 0}
    if negative:
        raise ValueError(f"negative quantities: {negative}")

    body_products = []
    for product in _live(inventory.get("products")):
        changed = quantities.get(property_key(product))
        main = _main_offering(product)
        offerings = [
            _writable_offering(offering, changed if offering is main else None)
            for offering in _live(product.get("offerings"))
        ]
        body_products.append(
            {
                **_writable(product),
                "property_values": [_writable(v) for v in product.get("property_values") or ()],
                "offerings": offerings,
            }
        )
    body: dict = {"products": body_products}
    for name in _ON_PROPERTY:
        body[name] = list(inventory.get(name) or ())
    # Newer inventories carry processing-profile readiness; send it back only if it was read.
    if "readiness_state_on_property" in inventory:
        body["readiness_state_on_property"] = list(inventory["readiness_state_on_property"] or ())
    return body


def _live(items: list | None) -> list[dict]:
    return [item for item in items or () if not item.get("is_deleted")]


def _main_offering(product: dict) -> dict | None:
    """The offering whose quantity is the product's: the first enabled one, else the first."""
    offerings = _live(product.get("offerings"))
    enabled = [offering for offering in offerings if offering.get("is_enabled")]
    return (enabled or offerings or [None])[0]


def _writable(item: dict) -> dict:
    return {name: value for name, value in item.items() if name not in _READ_ONLY}


def _writable_offering(offering: dict, quantity: int | None) -> dict:
    written = _writable(offering)
    # PUT takes a decimal price, GET gives Money. Etsy prices have two decimals, and a float
    # prints back the shortest decimal that round-trips, so 12.5 or 19.99 goes out exactly.
    written["price"] = float(money(offering["price"]))
    if quantity is not None:
        written["quantity"] = quantity
    return written
