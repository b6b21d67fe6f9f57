import copy
import json
from decimal import Decimal

import pytest

from sync.etsy.inventory import Product, money, products, put_body

READ_ONLY = {"product_id", "offering_id", "scale_name", "is_deleted", "value_pairs"}
RED_S = ((513, (1001,)), (514, (2001,)))
RED_M = ((513, (1001,)), (514, (2002,)))
BLUE_S = ((513, (1002,)), (514, (2001,)))


def value(property_id, value_id, text, name, scale=None):
    return {
        "property_id": property_id,
        "property_name": name,
        "scale_id": scale,
        "scale_name": "US" if scale else None,
        "value_ids": [value_id],
        "values": [text],
        "value_pairs": [{"value_id": value_id, "value": text}],
    }


def product(product_id, sku, colour, size, quantity, amount, *, deleted=False, extra=()):
    offerings = [
        {
            "offering_id": product_id * 10,
            "quantity": quantity,
            "is_enabled": True,
            "is_deleted": False,
            "price": {"amount": amount, "divisor": 100, "currency_code": "USD"},
        },
        *extra,
    ]
    return {
        "product_id": product_id,
        "sku": sku,
        "is_deleted": deleted,
        # Listed size first: the key must not depend on the order Etsy lists properties in.
        "property_values": [
            value(514, size[0], size[1], "Size", scale=3),
            value(513, colour[0], colour[1], "Colour"),
        ],
        "offerings": offerings,
    }


def inventory() -> dict:
    """A GET ListingInventory: two products share a SKU, one product and one offering are
    deleted."""
    deleted_offering = {
        "offering_id": 9,
        "quantity": 99,
        "is_enabled": False,
        "is_deleted": True,
        "price": {"amount": 1, "divisor": 100, "currency_code": "USD"},
    }
    return {
        "products": [
            product(11, "MUG-RED", (1001, "Red"), (2001, "S"), 4, 1250),
            product(12, "MUG-RED", (1001, "Red"), (2002, "M"), 4, 1250, extra=[deleted_offering]),
            product(13, "MUG-BLUE", (1002, "Blue"), (2001, "S"), 7, 1999),
            product(14, "MUG-OLD", (1002, "Blue"), (2002, "M"), 2, 900, deleted=True),
        ],
        "price_on_property": [],
        "quantity_on_property": [513, 514],
        "sku_on_property": [513],
        "listing": {"listing_id": 77},  # an `includes=Listing` association, not for the PUT
    }


def test_products_are_keyed_by_property_values_and_skip_deleted_ones():
    assert products(inventory()) == [
        Product(sku="MUG-RED", key=RED_S, product_id=11, quantity=4),
        Product(sku="MUG-RED", key=RED_M, product_id=12, quantity=4),
        Product(sku="MUG-BLUE", key=BLUE_S, product_id=13, quantity=7),
    ]


def test_a_listing_without_variations_has_the_empty_key_and_blank_sku_is_none():
    single = {"products": [{**product(5, "", (1, "x"), (2, "y"), 3, 500), "property_values": []}]}
    assert products(single) == [Product(sku=None, key=(), product_id=5, quantity=3)]


@pytest.mark.parametrize(
    ("amount", "divisor", "expected"),
    [(1250, 100, Decimal("12.50")), (1999, 100, Decimal("19.99")), (500, 1, Decimal("500"))],
)
def test_money_is_amount_over_divisor_exactly(amount, divisor, expected):
    result = money({"amount": amount, "divisor": divisor, "currency_code": "USD"})
    assert result == expected
    assert isinstance(result, Decimal)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from _walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


def test_put_body_strips_every_read_only_field_and_deleted_items():
    body = put_body(inventory(), {})
    assert all(not READ_ONLY & set(node) for node in _walk(body))
    assert [p["sku"] for p in body["products"]] == ["MUG-RED", "MUG-RED", "MUG-BLUE"]
    assert all(len(p["offerings"]) == 1 for p in body["products"])
    assert set(body) == {"products", "price_on_property", "quantity_on_property", "sku_on_property"}
    assert (body["quantity_on_property"], body["sku_on_property"]) == ([513, 514], [513])


def test_put_body_sends_prices_as_decimal_numbers():
    body = put_body(inventory(), {})
    prices = [p["offerings"][0]["price"] for p in body["products"]]
    assert prices == [12.5, 12.5, 19.99]
    assert '"price":19.99' in json.dumps(body, separators=(",", ":"))


def test_put_body_changes_only_the_named_quantity():
    source = inventory()
    untouched = copy.deepcopy(source)
    before = put_body(source, {})
    after = put_body(source, {BLUE_S: 5})
    assert source == untouched  # the inventory read is not modified
    assert after["products"][2]["offerings"][0]["quantity"] == 5
    after["products"][2]["offerings"][0]["quantity"] = 7
    # Byte-for-byte what was read, apart from the one quantity.
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)


def test_unchanged_products_keep_every_writable_field_as_read():
    body = put_body(inventory(), {RED_S: 3})
    red_m = body["products"][1]
    assert red_m == {
        "sku": "MUG-RED",
        "property_values": [
            {
                "property_id": 514,
                "property_name": "Size",
                "scale_id": 3,
                "value_ids": [2002],
                "values": ["M"],
            },
            {
                "property_id": 513,
                "property_name": "Colour",
                "scale_id": None,
                "value_ids": [1001],
                "values": ["Red"],
            },
        ],
        "offerings": [{"quantity": 4, "is_enabled": True, "price": 12.5}],
    }


def test_shared_sku_products_are_set_by_key_each():
    body = put_body(inventory(), {RED_S: 3, RED_M: 3})
    quantities = [p["offerings"][0]["quantity"] for p in body["products"]]
    assert quantities == [3, 3, 7]


def test_readiness_state_is_passed_through_when_present():
    source = inventory()
    source["readiness_state_on_property"] = [513]
    source["products"][0]["offerings"][0]["readiness_state_id"] = 4242
    body = put_body(source, {})
    assert body["readiness_state_on_property"] == [513]
    assert body["products"][0]["offerings"][0]["readiness_state_id"] == 4242


@pytest.mark.parametrize(
    "quantities",
    [
        {((513, (1002,)), (514, (2002,))): 1},  # the deleted product
        {((513, (9999,)),): 1},
        {RED_S: -1},
    ],
)
def test_put_body_refuses_unknown_keys_and_negative_quantities(quantities):
    with pytest.raises(ValueError):
        put_body(inventory(), quantities)
