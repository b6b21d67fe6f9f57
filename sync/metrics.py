"""Prometheus metrics of the sync core (default registry; `orderbot run` serves GET /metrics)."""

from prometheus_client import Counter, Histogram

FETCH_SECONDS = Histogram(
    "orderbot_fetch_seconds",
    "Duration of a whole fetch.",
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
FETCHES = Counter("orderbot_fetches_total", "Fetches, by outcome.", ["outcome"])
ORDERS_PLACED = Counter("orderbot_orders_placed_total", "Orders whose units were reserved on Etsy.")
ORDERS_FAILED = Counter(
    "orderbot_orders_failed_total", "Orders that could not be placed, by reason.", ["reason"]
)
ORDERS_RESTORED = Counter(
    "orderbot_orders_restored_total", "Orders whose reserved units were given back."
)
API_CALLS = Counter(
    "orderbot_api_calls_total",
    "Marketplace API attempts, by platform, endpoint and outcome (HTTP status or error).",
    ["platform", "endpoint", "outcome"],
)
API_RETRIES = Counter(
    "orderbot_api_retries_total", "Marketplace API retries, by platform.", ["platform"]
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "orderbot_rate_limit_wait_seconds_total",
    "Time spent waiting for a rate-limit slot, by platform.",
    ["platform"],
)
# Stock push (SPEC §3.2)
STOCK_PUSHES = Counter(
    "orderbot_stock_pushes_total", "SKUs pushed to TikTok, by outcome.", ["outcome"]
)
