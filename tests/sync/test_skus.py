"""The process's SKU index: built once, rebuilt past its TTL, when asked fresher, or invalidated."""

from datetime import UTC, datetime, timedelta

from sync.skus import Found, Missing, SkuIndexCache
from tests.utils.inventories import inventory, product

START = datetime(2026, 3, 1, tzinfo=UTC)


class Shop:
    """Listings as Etsy pages them, with a count of how often they were paged."""

    def __init__(self):
        self.skus = ["MUG-RED"]
        self.builds = 0
        self.now = START

    def listings(self):
        self.builds += 1
        for listing_id, sku in enumerate(self.skus, start=1):
            yield {"listing_id": listing_id, "inventory": inventory(product(listing_id, sku, 3))}


def cache_of(shop: Shop) -> SkuIndexCache:
    return SkuIndexCache(shop.listings, clock=lambda: shop.now, ttl=timedelta(minutes=10))


def test_the_index_is_built_once_and_again_only_past_its_ttl():
    shop = Shop()
    cache = cache_of(shop)
    assert isinstance(cache.get().lookup("MUG-RED"), Found)
    shop.now += timedelta(minutes=10)
    cache.get()
    assert shop.builds == 1
    shop.now += timedelta(seconds=1)
    cache.get()
    assert shop.builds == 2


def test_asking_for_a_fresher_index_rebuilds_only_an_older_one():
    shop = Shop()
    cache = cache_of(shop)
    cache.get()
    shop.skus.append("MUG-BLUE")  # a listing added on Etsy since
    shop.now += timedelta(seconds=30)
    assert isinstance(cache.get(max_age=timedelta(seconds=30)).lookup("MUG-BLUE"), Missing)
    shop.now += timedelta(seconds=1)
    assert isinstance(cache.get(max_age=timedelta(seconds=30)).lookup("MUG-BLUE"), Found)
    assert shop.builds == 2


def test_an_invalidated_index_is_built_anew_on_next_use():
    shop = Shop()
    cache = cache_of(shop)
    cache.get()
    cache.invalidate()
    assert shop.builds == 1  # not before it is needed
    cache.get()
    assert shop.builds == 2
