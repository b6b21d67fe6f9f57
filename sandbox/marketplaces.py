"""Both marketplace emulators, started together on one clock with one seeded catalog."""

from sandbox.clock import SandboxClock
from sandbox.etsy import EtsySandbox
from sandbox.seed import LATER, make_catalog, showcase_orders
from sandbox.tiktok import TikTokSandbox


class Marketplaces:
    def __init__(
        self,
        *,
        seed: int = 1,
        listings: int = 40,
        clock: SandboxClock | None = None,
        tiktok_options: dict | None = None,
        etsy_options: dict | None = None,
    ):
        self.clock = clock or SandboxClock()
        self.catalog = make_catalog(seed=seed, n_listings=listings)
        self.tiktok = TikTokSandbox(clock=self.clock, seed=seed, **(tiktok_options or {}))
        self.etsy = EtsySandbox(clock=self.clock, **(etsy_options or {}))

    def start(self) -> "Marketplaces":
        self.tiktok.start()
        self.etsy.start()
        self.etsy.load_catalog(self.catalog.listings)
        self.tiktok.set_catalog(self.catalog.tiktok_skus)
        self.tiktok.set_stock(self.catalog.tiktok_stock)
        return self

    def stop(self) -> None:
        self.tiktok.stop()
        self.etsy.stop()

    def __enter__(self) -> "Marketplaces":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def seed_demo(self, n: int) -> dict[str, str]:
        """`n` random TikTok orders, then the showcase (sandbox.seed.SHOWCASE): an order in
        each section. Returns {order id: what `play_later` will do to it}."""
        self.tiktok.seed_orders(n)
        later = {}
        for spec, staged in showcase_orders(self.catalog, int(self.clock.now())):
            order_id = self.tiktok.add_order(**spec)["id"]
            if staged.then is not None:
                getattr(self.tiktok, staged.then)(order_id)
            if staged.later is not None:
                later[order_id] = staged.later
        return later

    def play_later(self, later: dict[str, str]) -> None:
        """What happens to showcase orders once orderbot has placed them (TikTok pushes it)."""
        for order_id, name in later.items():
            method, args = LATER[name]
            getattr(self.tiktok, method)(order_id, *args)

    def environment(self) -> dict[str, str]:
        """Settings (SPEC §7 names) that point orderbot at these emulators, with fresh tokens."""
        tiktok = self.tiktok.issue_tokens()
        etsy = self.etsy.issue_tokens()
        return {
            "TIKTOK_APP_KEY": self.tiktok.app_key,
            "TIKTOK_APP_SECRET": self.tiktok.app_secret,
            "TIKTOK_API_URL": self.tiktok.url,
            "TIKTOK_AUTH_URL": self.tiktok.url,
            "TIKTOK_ACCESS_TOKEN": tiktok["access_token"],
            "TIKTOK_REFRESH_TOKEN": tiktok["refresh_token"],
            "ETSY_API_KEY": self.etsy.keystring,
            "ETSY_SHARED_SECRET": self.etsy.shared_secret,
            "ETSY_API_URL": self.etsy.url,
            "ETSY_ACCESS_TOKEN": etsy["access_token"],
            "ETSY_REFRESH_TOKEN": etsy["refresh_token"],
            "ETSY_SHOP_ID": str(self.etsy.shop_id),
        }
