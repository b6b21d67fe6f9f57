"""Store objects as Etsy's JSON: ShopListing and ListingInventory (field names from the specs).

SKU data goes only to the shop's owner (a valid token); anyone else sees `skus: []` and `""`.
"""

from sandbox.etsy.store import Listing, Offering


def money(amount: int, divisor: int, currency_code: str) -> dict:
    return {"amount": amount, "divisor": divisor, "currency_code": currency_code}


def inventory_json(listing: Listing, *, owner: bool = True) -> dict:
    return {
        "products": [
            {
                "product_id": p.product_id,
                "sku": p.sku if owner else "",
                "is_deleted": False,
                "offerings": [_offering_json(o) for o in p.offerings],
                "property_values": [
                    {**pv, "value_ids": list(pv["value_ids"]), "values": list(pv["values"])}
                    for pv in p.property_values
                ],
            }
            for p in listing.products
        ],
        **{name: list(ids) for name, ids in listing.on_property.items()},
    }


def listing_json(
    listing: Listing, *, shop_id: int, user_id: int, owner: bool, with_inventory: bool
) -> dict:
    offerings = [o for p in listing.products for o in p.offerings]
    priced = [o for o in offerings if o.is_enabled] or offerings
    cheapest = min(priced, key=lambda o: o.amount / o.divisor)
    payload = {
        "listing_id": listing.listing_id,
        "user_id": user_id,
        "shop_id": shop_id,
        "title": listing.title,
        "description": "",
        "state": listing.state,
        "creation_timestamp": listing.creation_timestamp,
        "original_creation_timestamp": listing.creation_timestamp,
        "ending_timestamp": listing.ending_timestamp,
        "last_modified_timestamp": listing.last_modified_timestamp,
        "state_timestamp": listing.state_timestamp,
        "quantity": listing.quantity,
        "url": f"https://www.etsy.com/listing/{listing.listing_id}",
        "has_variations": any(p.property_values for p in listing.products),
        "price": money(cheapest.amount, cheapest.divisor, cheapest.currency_code),
        "skus": list(dict.fromkeys(p.sku for p in listing.products if p.sku)) if owner else [],
    }
    if with_inventory:
        payload["inventory"] = inventory_json(listing, owner=owner)
    return payload


def _offering_json(offering: Offering) -> dict:
    return {
        "offering_id": offering.offering_id,
        "quantity": offering.quantity,
        "is_enabled": offering.is_enabled,
        "is_deleted": False,
        "price": money(offering.amount, offering.divisor, offering.currency_code),
    }
