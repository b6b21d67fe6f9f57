"""Validation of an updateListingInventory body (Etsy reference §7.2), pure.

Strict where the reference is firm: the whole set of variations, no read-only fields, decimal
prices, `*_on_property` lists that agree with the products, shared SKUs with one quantity,
no parentheses in values, at most two variation properties. Lenient elsewhere: unknown extra
fields (e.g. `readiness_state_id`) are ignored, and a property listed in `*_on_property` need not
actually make a difference.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ON_PROPERTY = ("price_on_property", "quantity_on_property", "sku_on_property")
_READ_ONLY_PRODUCT = ("product_id", "is_deleted")
_READ_ONLY_OFFERING = ("offering_id", "is_deleted")
_READ_ONLY_PROPERTY = ("scale_name", "value_pairs")
MAX_VARIATION_PROPERTIES = 2  # custom ones are 513 and 514


class RuleError(ValueError):
    """The PUT is refused with 400 and this message."""


@dataclass(frozen=True)
class OfferingIn:
    amount: int  # in 1/100 of the currency unit, as Money's divisor 100
    quantity: int
    is_enabled: bool


@dataclass(frozen=True)
class ProductIn:
    sku: str  # Etsy answers "" for a product without SKU
    key: tuple  # variation key, see `variation_key`
    property_values: list[dict]
    offerings: list[OfferingIn]

    @property
    def quantity(self) -> int:
        return sum(o.quantity for o in self.offerings if o.is_enabled)


@dataclass(frozen=True)
class InventoryIn:
    products: list[ProductIn]
    on_property: dict[str, list[int]]


def variation_key(property_values: list[dict]) -> tuple:
    """Identity of a variation combination: ((property_id, value), ...), sorted."""
    return tuple(sorted((pv["property_id"], v) for pv in property_values for v in pv["values"]))


def parse_put(body: object, existing_keys: set[tuple], *, allow_zero_stock: bool) -> InventoryIn:
    if not isinstance(body, dict):
        raise RuleError("The request body must be a JSON object.")
    raw_products = body.get("products")
    if not isinstance(raw_products, list) or not raw_products:
        raise RuleError("products is required and must be a non-empty array.")
    products = [_product(f"products[{i}]", raw) for i, raw in enumerate(raw_products)]
    on_property = {name: _int_list(body, name) for name in ON_PROPERTY}
    _check_properties(products, on_property)
    _check_complete(products, existing_keys)
    _check_on_property(products, on_property)
    if not allow_zero_stock and not any(p.quantity for p in products):
        raise RuleError("At least one offering must have a quantity greater than 0.")
    return InventoryIn(products, on_property)


def _product(where: str, raw: object) -> ProductIn:
    if not isinstance(raw, dict):
        raise RuleError(f"{where} must be an object.")
    _refuse_read_only(raw, _READ_ONLY_PRODUCT, where)
    sku = raw.get("sku")
    if sku is not None and not isinstance(sku, str):
        raise RuleError(f"{where}.sku must be a string or null.")
    raw_values = raw.get("property_values", [])
    if not isinstance(raw_values, list):
        raise RuleError(f"{where}.property_values must be an array.")
    values = [
        _property_value(f"{where}.property_values[{j}]", pv) for j, pv in enumerate(raw_values)
    ]
    ids = [pv["property_id"] for pv in values]
    if len(ids) != len(set(ids)):
        raise RuleError(f"{where} names a property twice.")
    raw_offerings = raw.get("offerings")
    if not isinstance(raw_offerings, list) or not raw_offerings:
        raise RuleError(f"{where}.offerings is required and must be a non-empty array.")
    offerings = [_offering(f"{where}.offerings[{k}]", o) for k, o in enumerate(raw_offerings)]
    return ProductIn(sku or "", variation_key(values), values, offerings)


def _property_value(where: str, raw: object) -> dict:
    if not isinstance(raw, dict):
        raise RuleError(f"{where} must be an object.")
    _refuse_read_only(raw, _READ_ONLY_PROPERTY, where)
    property_id = raw.get("property_id")
    if not _is_int(property_id) or property_id < 1:
        raise RuleError(f"{where}.property_id is required and must be a positive integer.")
    value_ids = raw.get("value_ids")
    if not isinstance(value_ids, list) or not all(_is_int(v) and v >= 1 for v in value_ids):
        raise RuleError(f"{where}.value_ids is required and must be an array of positive integers.")
    values = raw.get("values")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise RuleError(f"{where}.values is required and must be a non-empty array of strings.")
    if any("(" in v or ")" in v for v in values):
        raise RuleError(f"{where}.values may not contain parentheses.")
    scale_id = raw.get("scale_id")
    if scale_id is not None and (not _is_int(scale_id) or scale_id < 1):
        raise RuleError(f"{where}.scale_id must be a positive integer or null.")
    return {
        "property_id": property_id,
        "property_name": raw.get("property_name"),
        "scale_id": scale_id,
        "value_ids": value_ids,
        "values": values,
    }


def _offering(where: str, raw: object) -> OfferingIn:
    if not isinstance(raw, dict):
        raise RuleError(f"{where} must be an object.")
    _refuse_read_only(raw, _READ_ONLY_OFFERING, where)
    price = raw.get("price")
    if isinstance(price, dict):
        raise RuleError(f"{where}.price must be a number (amount / divisor), not a Money object.")
    if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
        raise RuleError(f"{where}.price is required and must be a positive number.")
    quantity = raw.get("quantity")
    if not _is_int(quantity) or quantity < 0:
        raise RuleError(f"{where}.quantity is required and must be an integer >= 0.")
    is_enabled = raw.get("is_enabled")
    if not isinstance(is_enabled, bool):
        raise RuleError(f"{where}.is_enabled is required and must be a boolean.")
    cents = (Decimal(str(price)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return OfferingIn(int(cents), quantity, is_enabled)


def _check_properties(products: list[ProductIn], on_property: dict[str, list[int]]) -> None:
    property_sets = {frozenset(pv["property_id"] for pv in p.property_values) for p in products}
    if len(property_sets) > 1:
        raise RuleError("Every product must use the same variation properties.")
    properties = property_sets.pop()
    if len(properties) > MAX_VARIATION_PROPERTIES:
        raise RuleError("A listing can have at most 2 variation properties.")
    for name, listed in on_property.items():
        stray = set(listed) - properties
        if stray:
            raise RuleError(f"{name} names property {min(stray)}, which no product varies by.")


def _check_complete(products: list[ProductIn], existing_keys: set[tuple]) -> None:
    sent = [p.key for p in products]
    if len(sent) != len(set(sent)):
        raise RuleError("products lists one variation combination twice.")
    missing = existing_keys - set(sent)
    if missing:
        raise RuleError(f"products must hold every variation; missing {_show(min(missing))}.")
    extra = set(sent) - existing_keys
    if extra:
        raise RuleError(f"products holds an unknown variation {_show(min(extra))}.")


def _check_on_property(products: list[ProductIn], on_property: dict[str, list[int]]) -> None:
    # A value may only differ between products whose listed properties differ.
    facets = {
        "price_on_property": lambda p: tuple(o.amount for o in p.offerings),
        "quantity_on_property": lambda p: tuple(o.quantity for o in p.offerings),
        "sku_on_property": lambda p: p.sku,
    }
    for name, facet in facets.items():
        listed = set(on_property[name])
        seen: dict[tuple, object] = {}
        for product in products:
            part = tuple(kv for kv in product.key if kv[0] in listed)
            if seen.setdefault(part, facet(product)) != facet(product):
                raise RuleError(f"Products differ where {name} says they cannot.")
    # §7.2 rule 5: where one property drives both quantity and SKU, a SKU has one quantity.
    if set(on_property["quantity_on_property"]) & set(on_property["sku_on_property"]):
        by_sku: dict[str, int] = {}
        for product in products:
            if product.sku and by_sku.setdefault(product.sku, product.quantity) != product.quantity:
                raise RuleError(f"Products sharing sku {product.sku} must have the same quantity.")


def _int_list(body: dict, name: str) -> list[int]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise RuleError(f"{name} must be an array of integers.")
    if len(value) != len(set(value)):
        raise RuleError(f"{name} must not repeat a property.")
    return value


def _refuse_read_only(raw: dict, fields: tuple[str, ...], where: str) -> None:
    present = [f for f in fields if f in raw]
    if present:
        raise RuleError(f"{where}.{present[0]} is read-only; remove it from the request.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(key: tuple) -> str:
    return "(no variations)" if not key else ", ".join(f"{pid}={v}" for pid, v in key)
