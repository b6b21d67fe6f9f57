"""Etsy Open API v3 client and the pure ListingInventory helpers."""

from sync.etsy.client import EtsyClient
from sync.etsy.inventory import Product, PropertyKey, money, products, put_body

__all__ = ["EtsyClient", "Product", "PropertyKey", "money", "products", "put_body"]
