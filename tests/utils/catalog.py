"""What the sandbox shops hold and were asked: Etsy stock per SKU, SKUs safe to order, and
TikTok's Get Order Detail calls."""


def stock(shops, sku: str) -> int:
    """The Etsy quantity of a SKU (products sharing a SKU share it)."""
    levels = {q for (_, product_sku, _), q in shops.etsy.quantities().items() if product_sku == sku}
    assert len(levels) == 1, f"{sku}: {levels}"
    return levels.pop()


def unique_skus(shops, n: int, at_least: int = 3) -> list[str]:
    """`n` SKUs on one Etsy product each (no pool, no sharing), with `at_least` in stock."""
    skus = [sku for sku in shops.catalog.cases["unique"] if stock(shops, sku) >= at_least][:n]
    assert len(skus) == n
    return skus


def unique_sku(shops) -> str:
    return unique_skus(shops, 1)[0]


def get_order_calls(shops) -> list:
    """TikTok Get Order Detail calls (re-reads of known orders, not searches)."""
    return [c for c in shops.tiktok.calls if c.path == "/order/202309/orders"]
