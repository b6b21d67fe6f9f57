"""What the endpoint modules share: the route record and query/body parameter checks."""

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.server import Request

from .errors import INVALID_REQUEST, ApiError
from .paging import BadPageToken, Pager

ORDER_TIME_FILTERS = ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    scope: str  # "token" (no signature), "global" (signed, no cipher), "shop" (signed + cipher)
    handler: Callable[[Request, dict, dict], dict]


def required(query: dict, name: str) -> str:
    if not query.get(name):
        raise ApiError(INVALID_REQUEST, f"Invalid parameter: {name} is required")
    return query[name]


def page_size(
    query: dict, code: int, *, required: bool, default: int, most: int, least: int = 1
) -> int:
    raw = query.get("page_size")
    if raw is None and not required:
        return default
    if raw is None or not raw.isdigit() or not least <= int(raw) <= most:
        raise ApiError(code, f"Invalid parameter: page_size must be {least}-{most}")
    return int(raw)


def page(pager: Pager, matching, bound: dict, size: int, query: dict, bad_code: int):
    """One page of a token-paged search: (ids, next_page_token, total_count)."""
    token = query.get("page_token") or None
    try:
        return pager.page(matching, bound, size, token)
    except BadPageToken as error:
        raise ApiError(bad_code, f"Invalid parameter: {error}") from error


def choice(query: dict, name: str, allowed: tuple[str, ...], code: int) -> str:
    value = query.get(name, allowed[0])
    if value not in allowed:
        raise ApiError(code, f"Invalid parameter: {name} must be one of {', '.join(allowed)}")
    return value


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def in_time_window(subject, filters: dict) -> bool:
    """`*_ge` is inclusive, `*_lt` exclusive (§8, §12.2)."""
    for name in ORDER_TIME_FILTERS:
        if name in filters:
            field, _, bound = name.rpartition("_")
            actual, limit = getattr(subject, field), filters[name]
            if (bound == "ge" and actual < limit) or (bound == "lt" and actual >= limit):
                return False
    return True
