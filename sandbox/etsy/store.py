"""The shop's listings and their inventory, in memory behind one lock.

Product and offering ids are handed out here: at load and on every inventory replace (SPEC §3
says Etsy gives new ids on each update; the Etsy reference is silent, so `renew_ids=False` keeps
them), never by `set_quantity`, which stands for a sale or a seller's edit.
"""

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.etsy.inventory_rules import ON_PROPERTY, InventoryIn, variation_key

STATES = ("active", "inactive", "sold_out", "draft", "expired")
RENEWAL_S = 120 * 86_400  # a (re)newed listing runs four months


class OutOfStock(ValueError):
    """A sale of more units than the product has."""


@dataclass
class Offering:
    offering_id: int
    quantity: int
    is_enabled: bool
    amount: int
    divisor: int
    currency_code: str


@dataclass
class Product:
    product_id: int
    sku: str
    property_values: list[dict]  # full ListingPropertyValue objects
    offerings: list[Offering]

    @property
    def key(self) -> tuple:
        return variation_key(self.property_values)

    @property
    def quantity(self) -> int:
        return sum(o.quantity for o in self.offerings if o.is_enabled)


@dataclass
class Listing:
    listing_id: int
    title: str
    state: str
    creation_timestamp: int
    last_modified_timestamp: int
    state_timestamp: int
    ending_timestamp: int
    products: list[Product]
    on_property: dict[str, list[int]]

    @property
    def quantity(self) -> int:
        return sum(p.quantity for p in self.products)


class Store:
    def __init__(self, now: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self._now = now
        self._listings: dict[int, Listing] = {}
        self._ids = itertools.count(4_100_000_001)

    def load(self, listings: list[dict]) -> None:
        with self.lock:
            self._listings = {raw["listing_id"]: self._from_seed(raw) for raw in listings}

    def get(self, listing_id: int) -> Listing | None:
        return self._listings.get(listing_id)

    def in_state(self, state: str) -> list[Listing]:
        with self.lock:
            return [item for item in self._listings.values() if item.state == state]

    def all(self) -> list[Listing]:
        with self.lock:
            return list(self._listings.values())

    def replace_inventory(self, listing: Listing, new: InventoryIn, renew_ids: bool = True) -> None:
        """Apply a validated PUT; its products match the current ones by variation key. With
        `renew_ids`, every product and offering gets a new id; without, each keeps its own (an
        offering by its position in the product; an added one gets a new id)."""
        with self.lock:
            # Names, scales and value ids are Etsy's: keep them from the matching product.
            old = {p.key: p for p in listing.products}
            currency = listing.products[0].offerings[0].currency_code

            def product_id(key: tuple) -> int:
                return old[key].product_id if not renew_ids else next(self._ids)

            def offering_id(key: tuple, index: int) -> int:
                kept = old[key].offerings
                return (
                    kept[index].offering_id
                    if not renew_ids and index < len(kept)
                    else next(self._ids)
                )

            listing.products = [
                Product(
                    product_id(p.key),
                    p.sku,
                    old[p.key].property_values,
                    [
                        Offering(
                            offering_id(p.key, index),
                            o.quantity,
                            o.is_enabled,
                            o.amount,
                            100,
                            currency,
                        )
                        for index, o in enumerate(p.offerings)
                    ],
                )
                for p in new.products
            ]
            listing.on_property = {name: list(ids) for name, ids in new.on_property.items()}
            self._stock_changed(listing)

    def set_quantity(self, listing_id: int, sku: str | None, quantity: int, key=None) -> None:
        """A sale or a seller edit: quantities move, product and offering ids stay. Products
        that share one quantity (their values differ only in properties outside
        `quantity_on_property`, §7.2 rule 4) move together, as Etsy keeps one number for them."""
        with self.lock:
            listing = self._listings[listing_id]
            targets = [
                p
                for p in listing.products
                if p.sku == (sku or "") and (key is None or p.key == tuple(key))
            ]
            if not targets:
                raise KeyError(f"listing {listing_id} has no product with sku {sku!r}")
            pools = {self._quantity_pool(listing, p) for p in targets}
            for product in listing.products:
                if self._quantity_pool(listing, product) not in pools:
                    continue
                for offering in product.offerings:
                    offering.quantity = quantity
            self._stock_changed(listing)

    def sell(self, listing_id: int, sku: str | None, units: int, key=None) -> None:
        """A buyer on Etsy takes `units` of the product with `sku` (and `key`, where products
        with that SKU keep quantities of their own): its quantity drops, the listing's
        `last_modified_timestamp` moves, and a listing left with nothing is sold out."""
        if units < 1:
            raise ValueError("a sale takes at least one unit")
        with self.lock:
            listing = self._listings[listing_id]
            if listing.state != "active":
                raise ValueError(f"listing {listing_id} is {listing.state}: Etsy sells nothing")
            targets = [
                p
                for p in listing.products
                if p.sku == (sku or "") and (key is None or p.key == tuple(key))
            ]
            if not targets:
                raise KeyError(f"listing {listing_id} has no product with sku {sku!r}")
            if len({self._quantity_pool(listing, p) for p in targets}) > 1:
                raise ValueError(f"{sku!r} is on products with quantities of their own: name one")
            left = targets[0].quantity
            if units > left:
                raise OutOfStock(f"only {left} of {sku!r} left")
            self.set_quantity(listing_id, sku, left - units, key)

    @staticmethod
    def _quantity_pool(listing: Listing, product: Product) -> tuple:
        """The values that can give `product` a quantity of its own."""
        drivers = set(listing.on_property.get("quantity_on_property", ()))
        return tuple(kv for kv in product.key if kv[0] in drivers)

    def set_state(self, listing: Listing, state: str) -> None:
        with self.lock:
            now = int(self._now())
            if state == "active" and listing.state != "active":
                if listing.quantity == 0:
                    # Listings tutorial: activating a sold-out listing sets its quantity to 1.
                    first = listing.products[0].offerings[0]
                    first.quantity, first.is_enabled = 1, True
                listing.ending_timestamp = now + RENEWAL_S  # activation renews
            if state != listing.state:
                listing.state, listing.state_timestamp = state, now
            listing.last_modified_timestamp = now

    def _stock_changed(self, listing: Listing) -> None:
        now = int(self._now())
        listing.last_modified_timestamp = now
        # Restocking leaves a sold_out listing sold_out: the docs name no automatic way back,
        # only updateListing(state=active), which renews. Clients must look in sold_out too.
        if listing.state == "active" and listing.quantity == 0:
            listing.state, listing.state_timestamp = "sold_out", now

    def _from_seed(self, raw: dict) -> Listing:
        inventory = raw["inventory"]
        created = int(raw.get("creation_timestamp") or self._now())
        products = [
            Product(
                next(self._ids),
                p.get("sku") or "",
                [_full_property_value(pv) for pv in p.get("property_values", [])],
                [
                    Offering(
                        next(self._ids),
                        o["quantity"],
                        o.get("is_enabled", True),
                        o["price"]["amount"],
                        o["price"]["divisor"],
                        o["price"]["currency_code"],
                    )
                    for o in p["offerings"]
                ],
            )
            for p in inventory["products"]
        ]
        return Listing(
            listing_id=raw["listing_id"],
            title=raw["title"],
            state=raw.get("state", "active"),
            creation_timestamp=created,
            last_modified_timestamp=created,
            state_timestamp=created,
            ending_timestamp=created + RENEWAL_S,
            products=products,
            on_property={name: list(inventory.get(name, [])) for name in ON_PROPERTY},
        )


def _full_property_value(pv: dict) -> dict:
    return {
        "property_id": pv["property_id"],
        "property_name": pv.get("property_name"),
        "scale_id": pv.get("scale_id"),
        "scale_name": pv.get("scale_name"),
        "value_ids": list(pv.get("value_ids", [])),
        "values": list(pv["values"]),
    }
