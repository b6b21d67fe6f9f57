"""Etsy ListingInventory JSON as `getListingInventory` returns it, for the pure stock code."""

RED, BLUE, COLOR = 1, 2, 200  # two value ids of one property, and the property's id


def product(product_id: int, sku: str, quantity: int, value_id: int | None = None) -> dict:
    values = (
        [{"property_id": COLOR, "property_name": "Color", "value_ids": [value_id], "values": ["x"]}]
        if value_id
        else []
    )
    return {
        "product_id": product_id,
        "sku": sku,
        "is_deleted": False,
        "property_values": values,
        "offerings": [
            {
                "offering_id": product_id * 10,
                "quantity": quantity,
                "is_enabled": True,
                "is_deleted": False,
                "price": {"amount": 1250, "divisor": 100, "currency_code": "USD"},
            }
        ],
    }


def inventory(*products, quantity_on=(COLOR,), sku_on=(COLOR,)) -> dict:
    return {
        "products": list(products),
        "price_on_property": [],
        "quantity_on_property": list(quantity_on),
        "sku_on_property": list(sku_on),
    }
