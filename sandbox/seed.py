"""The shared seed catalog: Etsy listings and the TikTok SKUs that sell them.

Pure and deterministic from `seed`. The first listings stage the cases of SPEC §3 (shared SKUs,
a sold-out listing, ambiguous SKUs, an empty SKU, an unmatched TikTok SKU); then come ordinary
listings with none, one or two variation properties; the last listing is a shared quantity pool
(Etsy reference §7.2 rules 4-5: a property drives SKU but not quantity, so every product has its
own SKU and all share one quantity). It comes last so that the listings before it, and every
other case, read as they did before it was added; its SKUs are in no case but its own.
Listings come without product or offering ids: `EtsySandbox.load_catalog` hands those out, as
Etsy does.
"""

import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.tiktok.products import MAIN_WAREHOUSE, OVERFLOW_WAREHOUSE

FIRST_LISTING_ID = 1_500_000_001
FIRST_CREATED = 1_700_000_000  # creation times are an hour apart, so ordering is stable
TIKTOK_PRODUCT_BASE = 1_729_380_000_000_000_000
TIKTOK_SKU_BASE = 1_729_390_000_000_000_000
CURRENCY = "USD"
COLOR, SIZE, CUSTOM_1, CUSTOM_2 = 200, 100, 513, 514
COLORS = ("Red", "Blue", "Green", "Black", "White", "Amber")
SIZES = ("Small", "Medium", "Large")
FINISHES = ("Matte", "Gloss")
STYLES = ("Classic", "Modern", "Rustic")
NOUNS = ("MUG", "VASE", "SCARF", "RING", "CARD", "SOAP", "LAMP", "BAG", "HAT", "TRAY")
ADJECTIVES = ("Handmade", "Vintage", "Rustic", "Minimal", "Boho", "Cozy", "Golden", "Tiny")
UNMATCHED_SKU = "TT-GHOST-1"
MAPPABLE = ("TT-TOTE-CANVAS", "TOTE-CANVAS")  # TikTok SKU, the Etsy SKU it stands for
POOL = {"Red": "MUG-POOL-RED", "Blue": "MUG-POOL-BLUE"}  # one mug, two SKUs, one stock
POOL_QUANTITY = 12
TAIL_LISTINGS = 1  # staged after the ordinary listings: the pool
TIKTOK_WAREHOUSES = (MAIN_WAREHOUSE.id, OVERFLOW_WAREHOUSE.id)


@dataclass(frozen=True)
class Catalog:
    listings: list[dict]  # what EtsySandbox.load_catalog takes
    tiktok_skus: list[dict]  # what TikTokSandbox.set_catalog takes
    # case -> the SKUs on its listings (TikTok SKUs for "unmatched" and "mappable"); also
    # "unique" (one product, active, in stock), "low_stock" (unique, 1-2 left) and the kinds
    # "simple", "one_property", "two_properties", "custom_properties" (513/514).
    # "shared_quantity_pool": SKUs of one listing whose products share one quantity
    # (sku_on_property [color], quantity_on_property []); only in that case.
    cases: dict[str, list[str]]
    case_listings: dict[str, list[int]]  # case -> listing ids
    suggested_maps: dict[str, str] = field(default_factory=dict)  # TikTok SKU -> Etsy SKU
    # TikTok sku_id -> its warehouses and units, as TikTokSandbox.set_stock takes them: the
    # Etsy quantity, and on the "two_warehouses" SKUs split over both sales warehouses.
    tiktok_stock: dict[str, list[dict]] = field(default_factory=dict)


def make_catalog(seed: int = 1, n_listings: int = 40) -> Catalog:
    builder = _Builder(random.Random(seed))
    builder.stage_cases()
    if n_listings < len(builder.listings) + TAIL_LISTINGS:
        raise ValueError(f"n_listings must be at least {len(builder.listings) + TAIL_LISTINGS}")
    while len(builder.listings) < n_listings - TAIL_LISTINGS:
        builder.ordinary()
    builder.stage_tail_cases()
    return builder.catalog()


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.listings: list[dict] = []
        self.kinds: dict[int, str] = {}  # listing_id -> simple | one_property | two_properties
        self.case_listings: dict[str, list[int]] = {}
        self._value_ids: dict[tuple[int, str], int] = {}
        self._next_value_id = itertools.count(1_000_001)

    def stage_cases(self) -> None:
        rng = self.rng
        wood, size = (CUSTOM_1, "Wood"), (CUSTOM_2, "Size")
        prices = {"Small": 1800, "Medium": 2400, "Large": 3000}
        woods = {"Oak": ("woodthing1", 33), "Walnut": ("woodthing2", self._qty())}
        woods["Cherry"] = ("woodthing3", 33)  # Listings Tutorial: three products, one SKU, 33
        self._add(
            "Carved wood thing",
            [
                self._product(sku, [self._pv(*wood, w), self._pv(*size, s)], prices[s], qty)
                for w, (sku, qty) in woods.items()
                for s in SIZES
            ],
            ([CUSTOM_2], [CUSTOM_1], [CUSTOM_1]),
            case="shared_sku_same_qty",
        )
        self._add(
            "Enamel pin",
            [self._product("PIN-SOLDOUT", [], 900, 0)],
            state="sold_out",
            case="sold_out",
        )
        for title in ("Stoneware mug", "Stoneware mug, gift set"):
            mug = self._product(
                "DUP-MUG", [], rng.randrange(1500, 3000, 50), self._qty(short=False)
            )
            self._add(title, [mug], case="ambiguous_listings")
        candles = [
            self._product("CANDLE-SOY", [self._pv(COLOR, "Primary color", c)], 1400, q)
            for c, q in (("Amber", 4), ("Blue", 9), ("Red", 17))
        ]
        self._add("Soy candle", candles, ([], [COLOR], []), case="ambiguous_quantities")
        prints = [
            self._product("PRINT-A4", [self._pv(SIZE, "Size", "A4")], 1200, self._qty(short=False)),
            self._product(None, [self._pv(SIZE, "Size", "A3")], 1900, self._qty(short=False)),
        ]
        self._add("Art print", prints, ([SIZE], [SIZE], [SIZE]), case="empty_sku")
        self._add("Hand-thrown bowl", [self._product("BOWL-LOW", [], 3200, 1)], case="low_stock")
        tote = self._product(MAPPABLE[1], [], 2200, self._qty(short=False))
        self._add("Canvas tote", [tote], case="mappable")

    def stage_tail_cases(self) -> None:
        """Draws nothing from the rng, so the listings before it do not move."""
        mugs = [
            self._product(sku, [self._pv(COLOR, "Primary color", color)], 1600, POOL_QUANTITY)
            for color, sku in POOL.items()
        ]
        self._add("Speckled mug", mugs, ([], [], [COLOR]), case="shared_quantity_pool")

    def ordinary(self) -> None:
        rng, n = self.rng, len(self.listings)
        base = f"{rng.choice(NOUNS)}-{n:05d}"
        title = f"{rng.choice(ADJECTIVES)} {base.split('-')[0].lower()} no. {n}"
        price = rng.randrange(800, 4500, 50)
        roll = rng.random()
        if roll < 0.5:
            self._add(title, [self._product(base, [], price, self._qty())])
            return
        if roll < 0.65:
            axes = [(COLOR, "Primary color", rng.sample(COLORS, rng.randint(2, 4)))]
        elif roll < 0.8:
            axes = [(SIZE, "Size", list(SIZES))]
        elif rng.random() < 0.5:
            axes = [(CUSTOM_1, "Style", list(STYLES)), (CUSTOM_2, "Finish", list(FINISHES))]
        else:
            axes = [(COLOR, "Primary color", rng.sample(COLORS, 2)), (SIZE, "Size", list(SIZES))]
        products = []
        for combo in itertools.product(*[[(p, nm, v) for v in vs] for p, nm, vs in axes]):
            sku = "-".join([base, *(v[:3].upper() for _, _, v in combo)])
            bump = sum(300 * SIZES.index(v) for p, _, v in combo if p == SIZE)
            values = [self._pv(p, nm, v) for p, nm, v in combo]
            products.append(self._product(sku, values, price + bump, self._qty()))
        props = [prop for prop, _, _ in axes]
        self._add(title, products, ([SIZE] if SIZE in props else [], props, props))

    def catalog(self) -> Catalog:
        products = [(item, p) for item in self.listings for p in item["inventory"]["products"]]
        uses = Counter(p["sku"] for _, p in products if p["sku"])
        staged = {lid: case for case, lids in self.case_listings.items() for lid in lids}
        pools, pooled = set(self.case_listings["shared_quantity_pool"]), "shared_quantity_pool"
        found: dict[str, dict[str, None]] = defaultdict(dict)  # ordered sets
        for item, p in products:
            sku, listing_id = p["sku"], item["listing_id"]
            if not sku:
                continue
            if listing_id in pools:
                found[pooled][sku] = None
                continue
            found[self.kinds[listing_id]][sku] = None
            if listing_id in staged:
                found[staged[listing_id]][sku] = None
            if any(pv["property_id"] in (CUSTOM_1, CUSTOM_2) for pv in p["property_values"]):
                found["custom_properties"][sku] = None
            qty = p["offerings"][0]["quantity"]
            placeable = item["state"] == "active" and qty >= 1 and sku != MAPPABLE[1]
            if uses[sku] == 1 and placeable:
                found["unique"][sku] = None
                if qty <= 2:
                    found["low_stock"][sku] = None
        cases = {case: list(skus) for case, skus in found.items()}
        cases["unmatched"] = [UNMATCHED_SKU, MAPPABLE[0]]
        cases["mappable"] = [MAPPABLE[0]]
        tiktok_skus = self._tiktok_skus(products)
        stock, cases["two_warehouses"] = _tiktok_stock(tiktok_skus, products, set(found[pooled]))
        return Catalog(
            listings=self.listings,
            tiktok_skus=tiktok_skus,
            cases=cases,
            case_listings=self.case_listings,
            suggested_maps={MAPPABLE[0]: MAPPABLE[1]},
            tiktok_stock=stock,
        )

    def _tiktok_skus(self, products: list[tuple[dict, dict]]) -> list[dict]:
        index = {item["listing_id"]: n for n, item in enumerate(self.listings)}
        pools = set(self.case_listings["shared_quantity_pool"])
        first: dict[str, tuple[dict, dict]] = {}
        for item, p in products:
            if p["sku"] and item["listing_id"] not in pools:
                first.setdefault(p["sku"], (item, p))
        tote = first.pop(MAPPABLE[1])  # TikTok sells the tote under its own SKU
        entries = [(sku, item, p) for sku, (item, p) in first.items()]
        entries.append((MAPPABLE[0], *tote))
        rows = [
            self._tiktok_row(k, sku, item, p, index) for k, (sku, item, p) in enumerate(entries)
        ]
        rows.append(
            {
                "seller_sku": UNMATCHED_SKU,
                "sku_id": str(TIKTOK_SKU_BASE + len(entries)),
                "product_id": str(TIKTOK_PRODUCT_BASE + len(self.listings)),
                "product_name": "Mystery gift box",
                "sku_name": "Default",
                "price": "15.00",
                "currency": CURRENCY,
            }
        )
        # The pool's SKUs come after every older row, so those keep their sku_ids.
        pooled = [(item, p) for item, p in products if item["listing_id"] in pools]
        for k, (item, p) in enumerate(pooled, start=len(rows)):
            rows.append(self._tiktok_row(k, p["sku"], item, p, index))
        return rows

    @staticmethod
    def _tiktok_row(k: int, sku: str, item: dict, p: dict, index: dict[int, int]) -> dict:
        price = p["offerings"][0]["price"]
        return {
            "seller_sku": sku,
            "sku_id": str(TIKTOK_SKU_BASE + k),
            "product_id": str(TIKTOK_PRODUCT_BASE + index[item["listing_id"]]),
            "product_name": item["title"],
            "sku_name": ", ".join(v for pv in p["property_values"] for v in pv["values"])
            or "Default",
            "price": f"{Decimal(price['amount']) / price['divisor']:.2f}",
            "currency": CURRENCY,
        }

    def _add(
        self,
        title: str,
        products: list[dict],
        on_property: tuple[list[int], list[int], list[int]] = ([], [], []),
        *,
        state: str = "active",
        case: str | None = None,
    ) -> None:
        n = len(self.listings)
        listing_id = FIRST_LISTING_ID + n
        price_on, quantity_on, sku_on = on_property
        self.listings.append(
            {
                "listing_id": listing_id,
                "title": title,
                "state": state,
                "creation_timestamp": FIRST_CREATED + n * 3600,
                "inventory": {
                    "products": products,
                    "price_on_property": price_on,
                    "quantity_on_property": quantity_on,
                    "sku_on_property": sku_on,
                },
            }
        )
        depth = len(products[0]["property_values"])
        self.kinds[listing_id] = ("simple", "one_property", "two_properties")[depth]
        if case:
            self.case_listings.setdefault(case, []).append(listing_id)

    def _pv(self, property_id: int, name: str, value: str) -> dict:
        key = (property_id, value)
        if key not in self._value_ids:
            self._value_ids[key] = next(self._next_value_id)
        return {
            "property_id": property_id,
            "property_name": name,
            "scale_id": None,
            "scale_name": None,
            "value_ids": [self._value_ids[key]],
            "values": [value],
        }

    @staticmethod
    def _product(sku: str | None, property_values: list[dict], amount: int, qty: int) -> dict:
        price = {"amount": amount, "divisor": 100, "currency_code": CURRENCY}
        offering = {"price": price, "quantity": qty, "is_enabled": True}
        return {"sku": sku, "property_values": property_values, "offerings": [offering]}

    def _qty(self, short: bool = True) -> int:
        """Mostly 5-50; one in ten is 1-2, so short stock happens."""
        if short and self.rng.random() < 0.1:
            return self.rng.randint(1, 2)
        return self.rng.randint(5, 50)


def _tiktok_stock(
    rows: list[dict], products: list[tuple[dict, dict]], pooled: set[str]
) -> tuple[dict[str, list[dict]], list[str]]:
    """Each TikTok SKU starts with its Etsy product's quantity (a SKU on no listing with a
    few units); every sixth ordinary one is split over both sales warehouses. Draws nothing
    from the rng, so nothing else moves."""
    etsy = {}
    for _, p in products:
        if p["sku"]:
            etsy.setdefault(p["sku"], p["offerings"][0]["quantity"])
    etsy[MAPPABLE[0]] = etsy[MAPPABLE[1]]
    stock, split = {}, []
    for k, row in enumerate(rows):
        sku = row["seller_sku"]
        quantity = etsy.get(sku, 15)
        if k % 6 == 4 and sku in etsy and sku not in pooled and sku not in MAPPABLE:
            split.append(sku)
            stock[row["sku_id"]] = [
                {"warehouse_id": TIKTOK_WAREHOUSES[0], "quantity": quantity - quantity // 3},
                {"warehouse_id": TIKTOK_WAREHOUSES[1], "quantity": quantity // 3},
            ]
        else:
            stock[row["sku_id"]] = [{"warehouse_id": TIKTOK_WAREHOUSES[0], "quantity": quantity}]
    return stock, split


# The demo's showcase: an order for each stage a newcomer should see (SPEC §2), added after
# the random orders so those keep their ids. `then`: a simulation control TikTok applies at
# once; `later`: one applied once orderbot has placed the order (so its stock comes back, or
# its delivery fails). `sku`: "" for a plentiful SKU of its own.
@dataclass(frozen=True)
class Staged:
    status: str
    hours_old: float
    fulfilment: str = "FULFILLMENT_BY_SELLER"
    then: str | None = None
    later: str | None = None
    sku: str = ""


SHOWCASE = (
    Staged("AWAITING_COLLECTION", 26),
    Staged("IN_TRANSIT", 50),
    Staged("DELIVERED", 100),
    Staged("COMPLETED", 21 * 24),
    Staged("AWAITING_SHIPMENT", 3, then="buyer_cancel"),  # cancelled before it was placed
    Staged("AWAITING_SHIPMENT", 5, fulfilment="FULFILLMENT_BY_TIKTOK"),  # never placed on Etsy
    Staged("ON_HOLD", 0.2),  # within TikTok's hour of buyer's remorse
    Staged("AWAITING_SHIPMENT", 6, sku=MAPPABLE[0]),  # fails until mapped to TOTE-CANVAS
    Staged("AWAITING_SHIPMENT", 8, later="buyer_cancel"),  # placed, then its stock comes back
    Staged("IN_TRANSIT", 60, later="lost"),  # placed, then the parcel is lost: Restock
)
LATER = {  # a `later` name -> the emulator method and its arguments after the order id
    "buyer_cancel": ("buyer_cancel", ()),
    "lost": ("system_cancel", ("package_lost",)),
}


def showcase_orders(catalog: Catalog, now: int) -> list[tuple[dict, Staged]]:
    """The showcase as (`add_order` arguments, its stage) pairs. Pure."""
    plentiful = [
        sku
        for sku in catalog.cases["unique"]
        if sku not in catalog.cases["low_stock"] and sku not in catalog.cases["two_warehouses"]
    ]
    return [
        (
            {
                "skus": [staged.sku or plentiful[n % len(plentiful)]],
                "status": staged.status,
                "fulfillment_type": staged.fulfilment,
                "create_time": now - int(staged.hours_old * 3600),
            },
            staged,
        )
        for n, staged in enumerate(SHOWCASE)
    ]
