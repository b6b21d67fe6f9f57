"""Reading TikTok's JSON at the edge: text, money, times and enum values, each checked once.

A value that is missing or malformed where orderbot needs it raises `Unreadable`, whose message
names the field (never the value); callers skip and log that one record.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from sync.clock import from_unix

log = logging.getLogger(__name__)

E = TypeVar("E", bound=StrEnum)
R = TypeVar("R")


class Unreadable(ValueError):
    """An object lacks what orderbot needs from it; the message says what, never a value."""


def text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def text_or_empty(value: Any) -> str:
    return text(value) or ""


def required(mapping: dict, key: str, where: str) -> str:
    found = text(mapping.get(key))
    if found is None:
        raise Unreadable(f"{where}.{key} is missing")
    return found


def money(value: Any, where: str = "amount") -> Decimal | None:
    """TikTok sends amounts as strings; an empty string means no amount, and so does one that
    is not a finite number (logged): prices are stored and shown ("—" when none), and stock is
    never computed from them, so an odd one must not stop the order."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        log.warning("tiktok: %s is not an amount (%r); kept as none", where, value)
        return None
    return amount


def unix_time(value: Any, where: str = "time") -> datetime:
    try:
        moment = from_unix(value)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise Unreadable(f"{where} is not a Unix time") from exc
    if moment is None:
        raise Unreadable(f"{where} is missing")
    return moment


def maybe_time(value: Any) -> datetime | None:
    try:
        return from_unix(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def enum_value(kind: type[E], value: Any, where: str) -> E:
    """The member for a documented value; `kind.UNKNOWN` (logged) for one TikTok added since."""
    try:
        return kind(value)
    except ValueError:
        log.warning("tiktok: %s is not a known %s (%r)", where, kind.__name__, value)
        return kind("UNKNOWN")


def whole_number(value: Any, where: str) -> int:
    """A count TikTok sends as an int (or a whole float or digit string)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unreadable(f"{where} is not a whole number")
    return value


def next_deadline(actions: Any) -> datetime | None:
    """The earliest `deadline` of a `seller_next_action_response` list (None when nothing is
    asked of the seller)."""
    listed = actions if isinstance(actions, list) else []
    moments = [maybe_time(a.get("deadline")) for a in listed if isinstance(a, dict)]
    found = [moment for moment in moments if moment is not None]
    return min(found) if found else None


def read_each(
    raw: Any, parse: Callable[[Any], R], kind: str, id_key: str = "id"
) -> tuple[list[R], tuple[str, ...]]:
    """The readable records of a list, and the ids of those skipped (each logged), so one odd
    record never stops a page. A record without an id is logged but cannot be named."""
    found: list[R] = []
    skipped: list[str] = []
    for record in raw if isinstance(raw, list) else ():
        try:
            found.append(parse(record))
        except (Unreadable, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            record_id = text(record.get(id_key)) if isinstance(record, dict) else None
            log.warning("tiktok: %s %s skipped: %s", kind, record_id or "(no id)", exc)
            if record_id is not None:
                skipped.append(record_id)
    return found, tuple(skipped)


def count_or_none(value: Any) -> int | None:
    """A `total_count`: informational only, so an odd one is just not known."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
