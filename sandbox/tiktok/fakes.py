"""Made-up buyers and a default catalog. Every contact detail is fictional (555 phone numbers,
an anonymised-looking e-mail domain), so a test can search any output for them."""

import random

DEFAULT_CATALOG = [
    {
        "seller_sku": "MUG-BLK-11",
        "sku_id": "1729384756012345601",
        "product_id": "1729384756012340001",
        "product_name": "Ceramic Mug",
        "sku_name": "Black, 11oz",
        "price": "14.50",
        "currency": "USD",
    },
    {
        "seller_sku": "MUG-WHT-15",
        "sku_id": "1729384756012345602",
        "product_id": "1729384756012340001",
        "product_name": "Ceramic Mug",
        "sku_name": "White, 15oz",
        "price": "16.00",
        "currency": "USD",
    },
    {
        "seller_sku": "TOTE-NAT",
        "sku_id": "1729384756012345603",
        "product_id": "1729384756012340002",
        "product_name": "Canvas Tote Bag",
        "sku_name": "Natural",
        "price": "22.00",
        "currency": "USD",
    },
    {
        "seller_sku": "CANDLE-LAV",
        "sku_id": "1729384756012345604",
        "product_id": "1729384756012340003",
        "product_name": "Soy Candle",
        "sku_name": "Lavender",
        "price": "18.75",
        "currency": "USD",
    },
    {
        "seller_sku": "PRINT-A4-SUN",
        "sku_id": "1729384756012345605",
        "product_id": "1729384756012340004",
        "product_name": "Art Print",
        "sku_name": "Sunset, A4",
        "price": "12.50",
        "currency": "USD",
    },
]

_FIRST = ["Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan", "Emerson"]
_LAST = ["Whitfield", "Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura", "Brennan", "Duval"]
_STREETS = ["Maple Ave", "Juniper St", "Harbor Rd", "Willow Ln", "Cedar Ct", "Orchard Way"]
# (city, county, state, state code, ZIP, sales-tax rate)
_PLACES = [
    ("Austin", "Travis County", "Texas", "TX", "78701", "0.0825"),
    ("Portland", "Multnomah County", "Oregon", "OR", "97205", "0"),
    ("Columbus", "Franklin County", "Ohio", "OH", "43215", "0.075"),
    ("Raleigh", "Wake County", "North Carolina", "NC", "27601", "0.0725"),
    ("Madison", "Dane County", "Wisconsin", "WI", "53703", "0.055"),
]


def buyer(rng: random.Random) -> dict:
    """A buyer: user id, anonymised e-mail, address (the §10 shape) and the local tax rate."""
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    city, county, state, code, postal, tax_rate = rng.choice(_PLACES)
    line1 = f"{rng.randint(10, 9899)} {rng.choice(_STREETS)}"
    detail = f"Apt {rng.randint(1, 40)}" if rng.random() < 0.4 else ""
    street = f"{line1}, {detail}" if detail else line1
    return {
        "user_id": str(7_000_000_000_000_000_000 + rng.randrange(10**17)),
        "email": f"{rng.getrandbits(48):012x}@scs2.tiktokw.us",
        "tax_rate": tax_rate,
        "address": {
            "name": name,
            "phone_number": f"(+1){rng.choice(['512', '503', '614'])}555{rng.randint(0, 9999):04d}",
            "full_address": f"{street}, {city}, {state}, {postal}, United States",
            "address_detail": detail,
            "address_line1": line1,
            "address_line2": detail,
            "address_line3": "",
            "address_line4": "",
            "postal_code": postal,
            "region_code": "US",
            "district_info": [
                {
                    "address_level_name": "Country",
                    "address_name": "United States",
                    "address_level": "L0",
                },
                {"address_level_name": "State", "address_name": state, "address_level": "L1"},
                {"address_level_name": "County", "address_name": county, "address_level": "L2"},
                {"address_level_name": "City", "address_name": city, "address_level": "L3"},
            ],
            "delivery_preferences": {"drop_off_location": ""},
        },
    }


def masked(address: dict) -> dict:
    """What TikTok shows when its own logistics ships: name, phone and street desensitised."""
    hidden = {key: _mask(address[key]) for key in ("name", "address_detail", "address_line1")}
    phone = address["phone_number"]
    hidden["phone_number"] = phone[:7] + "*" * (len(phone) - 9) + phone[-2:]
    hidden["address_line2"] = hidden["address_detail"]
    line = ", ".join(p for p in (hidden["address_line1"], hidden["address_detail"]) if p)
    tail = address["full_address"].split(", ")[-4:]  # city, state, ZIP, country
    hidden["full_address"] = ", ".join([line, *tail])
    return {**address, **hidden}


def _mask(text: str) -> str:
    return " ".join(word[0] + "*" * (len(word) - 1) for word in text.split())
