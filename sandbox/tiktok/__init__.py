"""The TikTok Shop Partner API (202309) emulator: an independent reading of
`reference/tiktok-shop-api.md`, imported by nothing in orderbot and importing none of it.

Strict where the reference is firm (signature, timestamp window, token header, shop_cipher rules,
page sizes, ≤50 ids, the US cancel-reason table, `CANCEL` in pushes, absolute token expiry).
Where it is silent, the choice made (and kept in one place) is:
- HTTP status: 401 for 106001, 429 for 36009002, 404/405 for unknown path/method, 5xx for
  injected faults; every other refusal is HTTP 200 with a non-zero `code` (errors.py).
- Parameter errors on order, tracking and event calls answer 36009004; on return/refund
  25001001; on the ship and shipping-info calls 21001001 (their pages list it).
- Refresh tokens rotate; a used or unknown one gets 36004005, an expired one 36004001.
- Seller cancel: UNPAID takes the unpaid reasons; AWAITING_COLLECTION takes none (25001021);
  partial cancels (line items / skus) answer 25005010. The response says ..._SUCCESS; the record
  then shows ..._COMPLETE (two type-11 pushes). Buyer cancels are type BUYER_CANCEL.
- Paging: the result set is frozen at the first page (paging.py); unknown ids in Get Order Detail
  are left out; tracking events are newest first.
- Combined-listing items carry `combined_listing_skus` [{sku_id, sku_count, product_id}] (no
  seller_sku) in Get Order Detail only, as in 202309 (§10); Search Orders leaves them out.
  `TikTokSandbox(combined_on_search=True)` (or `/_sandbox/config`) gives the later versions'
  behaviour, with them in both calls.
- Staged breakage: `malform_order(order_id, how)` (or `add_order(malformed=...)`) shows one order
  with a broken field (a line item without `id`, money "N/A", no `line_items`, an unknown
  status, an id, SKU or code far longer than usual) on search and detail, so one bad order in
  a page can be tested; off by default.
- Timed rules (`tick`, run before every API call): ON_HOLD → AWAITING_SHIPMENT one hour after
  payment, DELIVERED → COMPLETED after `completion_days` (default 15), each at its due time;
  seller-fulfilled orders not shipped by `shipping_due_time`, or not collected by
  `collection_due_time`, are cancelled by the system.
- Fulfilment (§16): delivery options, carriers, the tracking-number `warning` and deadlines are
  chosen in shipping.py; the endpoints and their order of checks are in fulfillment.py.
- After-sales (§17): requests and reasons in returns.py, how they move (and the codes chosen
  where the reference is silent) in aftersales.py, the endpoints and idempotency keys in
  aftersales_api.py. Unanswered buyer cancellation requests are approved after 48 hours.
- Stock (§18): products, SKUs, warehouses and how orders commit stock in products.py; Search
  Products, Get Product, Update Inventory (call-level and per-SKU failures), Inventory Search
  and Get Warehouse List in products_api.py.
- Webhook addresses are not held to https/no-IP/no-port, so a loopback receiver works.
"""

from .emulator import TikTokSandbox
from .faults import Faults
from .gateway import Call
from .signing import request_sign, webhook_sign
from .webhooks import Delivery

__all__ = ["Call", "Delivery", "Faults", "TikTokSandbox", "request_sign", "webhook_sign"]
