"""Which of an order's SKUs its placement failed on, read from the failure's detail.

The engine names what it could not place in the detail ("no Etsy listing has SKU X", "X is on
more than one Etsy listing (…)", "X: need 2, Etsy has 1 (short 1)"): the TikTok SKU, or the
Etsy SKU that SKU is mapped to. A line's TikTok SKU failed when the detail names it, or its
mapped SKU, as a whole word. A detail that names no SKU (an Etsy error) gives none.
"""

import re
from collections.abc import Mapping, Sequence

from storage.models import OrderLine

_EDGE = r"[A-Za-z0-9_\-]"


def line_skus(lines: Sequence[OrderLine]) -> list[str]:
    """The order's TikTok SKUs (combined listings by their parts), in order, once each."""
    seen: dict[str, None] = {}
    for line in lines:
        parts = line.components()
        for sku in [p.seller_sku or p.sku_id for p in parts] or [line.seller_sku or line.sku_id]:
            seen[sku] = None
    return list(seen)


def _named(sku: str, text: str) -> bool:
    return re.search(rf"(?<!{_EDGE}){re.escape(sku)}(?!{_EDGE})", text) is not None


def failing_skus(
    detail: str | None, lines: Sequence[OrderLine], mappings: Mapping[str, str]
) -> tuple[str, ...]:
    """The TikTok SKUs among `lines` that the failure `detail` names (sorted), or ()."""
    if not detail:
        return ()
    found = {
        sku
        for sku in line_skus(lines)
        if _named(sku, detail) or (sku in mappings and _named(mappings[sku], detail))
    }
    return tuple(sorted(found))
