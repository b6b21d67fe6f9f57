"""Error codes the emulator answers with, and the `{code, message, request_id, data}` envelope.

HTTP status is tied to a code only where the reference says so (429 ↔ 36009002; a live 106001 came
with 401). Unknown paths and methods get 404/405 like any gateway; every other refusal is HTTP
200 with a non-zero `code`, so a client has to read the body, as the docs tell it to.
"""

import itertools
import threading
import time

TOO_MANY_REQUESTS = 36009002
INTERNAL_ERROR = 36009003
INVALID_REQUEST = 36009004  # reused by TikTok for many validation failures (§4)
UNKNOWN_PATH = 36009009
METHOD_NOT_ALLOWED = 36009010
BODY_NOT_JSON = 36009022
TOKEN_EXPIRED = 105002
TOKEN_SHOP_MISMATCH = 101000
INVALID_SIGN = 106001
MISSING_SHOP_CIPHER = 106013
INVALID_AUTH_CODE = 36004004
# Refresh-token failures are not in the reference; these two were seen live (EcomPHP PR #15).
REFRESH_TOKEN_EXPIRED = 36004001
REFRESH_TOKEN_UNKNOWN = 36004005

# Cancel Order (§12.1).
CANCEL_INVALID_PARAMETER = 25001001
CANCEL_UNKNOWN_REASON = 25001014
CANCEL_REASON_NOT_FOR_SELLER = 25001015
CANCEL_REASON_STATUS_MISMATCH = 25001021
CANCEL_ALREADY_SHIPPED = 25001045
CANCEL_ORDER_FINISHED = 25001051
CANCEL_NO_LINE_ITEMS = 25005010
CANCEL_NO_PERMISSION = 25020005

# Fulfilment (§16). An unknown order on these paths has no 202309 code; the 202507 page's
# 21008111 is used.
FULFILL_INVALID_PARAMETER = 21001001
TRACKING_SPECIAL_CHARACTERS = 21004012
PLATFORM_FULFILLED = 21008025
PACKAGE_ALREADY_SHIPPED = 21008099
ORDER_NOT_OF_SELLER = 21008111
NO_DELIVERY_SUBSCRIPTION = 21008116
DELIVERED_BY_PLATFORM = 21008117
NOT_SELLER_SHIPPED = 21011004
ORDERS_ALREADY_SHIPPED = 21011006
AFTER_SALE_IN_PROGRESS = 21011007
INVALID_TRACKING_OR_PROVIDER = 21011022
DUPLICATE_TRACKING = 21011025
TRACKING_USED_TOO_OFTEN = 21011026
PACKAGE_NOT_OF_SHOP = 21011028
ALREADY_DELIVERED = 21011030
ORDER_CANCELLED = 21011041
NOT_SHIPPED_YET = 21011043
ORDER_ON_HOLD = 21011044
UPDATE_WINDOW_PASSED = 21011049
PACKAGE_UPDATE_WINDOW_PASSED = 21011050
UPDATE_ONLY_ONCE = 21011051
PERMISSION_DENIED = 10006402
STATUS_DOES_NOT_ALLOW = 10007002

# Returns and buyer cancellation requests (§17); 25001001 (above) for parameters.
RETURN_STATUS_NOT_ALLOWED = 25011012
RETURN_PACKAGE_NOT_APPROVABLE = 25011013
RETURN_NOT_FOR_FBT = 25011026
RETURN_PACKAGE_NOT_REJECTABLE = 25011035
RETURN_DECISION_MISMATCH = 25020004
RETURN_ALREADY_CANCELLED = 25020009
RETURN_ALREADY_APPROVED = 25020010
RETURN_UNKNOWN_REASON = 25001014
RETURN_REASON_MISMATCH = 25001016
RETURN_REASON_OFFLINE = 25001020

# Products and stock (§18).
PRODUCT_ID_INVALID = 12019008
SKU_COUNT_OVER_LIMIT = 12019015
SKU_NEEDS_WAREHOUSE = 12019022
STOCK_COUNT_INVALID = 12019024
SELLER_SKUS_OVER_LIMIT = 12019027
SEVERAL_WAREHOUSES = 12019028
PAGE_SIZE_INVALID = 12019109
SEARCH_TIME_INVALID = 12019119
PRODUCT_IDS_OVER_LIMIT = 12019120
PRODUCT_NOT_FOUND = 12052032
SKU_ID_REQUIRED = 12052036
WAREHOUSE_MISSING = 12052037
TOO_MANY_SKUS = 12052050
QUANTITY_OUT_OF_LIMITS = 12052055
WAREHOUSE_NOT_FOUND = 12052097
NOT_A_DELIVERY_WAREHOUSE = 12052532
WAREHOUSES_FIXED = 12052533
DUPLICATE_SKU = 12052553
SKU_NOT_FOUND = 12052556
PRODUCT_STATUS_NOT_ALLOWED = 12052901
SKU_LIST_EMPTY = 12052902
CHECK_FAILED = 12052990

_HTTP_STATUS = {
    TOO_MANY_REQUESTS: 429,
    INVALID_SIGN: 401,
    UNKNOWN_PATH: 404,
    METHOD_NOT_ALLOWED: 405,
    INTERNAL_ERROR: 500,
}


class ApiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.code, 200)


class RequestIds:
    """TikTok-looking request ids: a UTC timestamp then a hex counter."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self, now: float) -> str:
        with self._lock:
            n = next(self._counter)
        return time.strftime("%Y%m%d%H%M%S", time.gmtime(now)) + f"{n:020X}"


def envelope(request_id: str, data=None, error: ApiError | None = None) -> dict:
    if error is not None:
        return {
            "code": error.code,
            "message": error.message,
            "request_id": request_id,
            "data": None,
        }
    return {"code": 0, "message": "Success", "request_id": request_id, "data": data}
