"""Seller shipping (§16): delivery options and their carriers, packages, deadlines.

Where the reference is silent, the choices (kept here):
- Two delivery options. Seller-shipped orders (`shipping_type` SELLER) carry the standard one,
  whose carriers Get Shipping Providers lists; TikTok-shipped ones (a TikTok label, or fulfilled
  by TikTok) carry TikTok's, which answers 21008117.
- TikTok's tracking-number/carrier rule is unpublished (§16.6); here each carrier has a number
  pattern. A number fitting no carrier, several, or another carrier than the one sent gets a
  `warning` (the call still succeeds). USPS and UPS Mail Innovations share the 22-digit
  "92…" form, as IMpb numbers do, so such a number fits both.
- Deadlines (§16.1, counted from `paid_time`): ship by (`rts_sla_time`) 2 business days (the US
  Fulfillment Policy; the reference notes another page says 3), collect by (`tts_sla_time`) 3
  business days, TikTok cancels unshipped orders at `shipping_due_time` (7 days) and uncollected
  ones at `collection_due_time` (10 days). Business days skip Saturdays and Sundays, in UTC.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY = 86400
SHIP_BY_BUSINESS_DAYS = 2
COLLECT_BY_BUSINESS_DAYS = 3
SHIPPING_DUE_S = 7 * DAY
COLLECTION_DUE_S = 10 * DAY
DELIVERY_DUE_S = 30 * DAY
CORRECTION_WINDOW_S = 72 * 3600  # US: one tracking correction within 72 hours of shipping


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    pattern: re.Pattern[str]  # what this carrier's tracking numbers look like

    def fits(self, tracking_number: str) -> bool:
        return bool(self.pattern.fullmatch(tracking_number))


@dataclass(frozen=True)
class DeliveryOption:
    id: str
    name: str
    seller_ships: bool
    providers: tuple[Provider, ...] = ()

    def provider(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)


USPS = Provider("6617675021119438849", "USPS", re.compile(r"9[2-5]\d{20}"))
PROVIDERS = (
    USPS,
    Provider("6617675021119438850", "UPS", re.compile(r"1Z[0-9A-Z]{16}")),
    Provider("6617675021119438851", "UPS Mail Innovations", re.compile(r"92\d{20}|92\d{24}")),
    Provider("6617675021119438852", "FedEx", re.compile(r"\d{12}|\d{15}")),
    Provider("6617675021119438853", "DHL eCommerce", re.compile(r"GM\d{16}")),
    Provider("6617675021119438854", "OnTrac", re.compile(r"[CD]\d{14}")),
)
SELLER_OPTION = DeliveryOption("7091146663229654785", "Standard shipping", True, PROVIDERS)
TIKTOK_OPTION = DeliveryOption("7091146663229654790", "Standard shipping by TikTok", False)
DELIVERY_OPTIONS = {option.id: option for option in (SELLER_OPTION, TIKTOK_OPTION)}
_TRACKING_CHARACTERS = re.compile(r"[0-9A-Za-z]+")


def delivery_option(shipping_type: str, fulfillment_type: str) -> DeliveryOption:
    seller = shipping_type == "SELLER" and fulfillment_type == "FULFILLMENT_BY_SELLER"
    return SELLER_OPTION if seller else TIKTOK_OPTION


def has_special_characters(tracking_number: str) -> bool:
    return not _TRACKING_CHARACTERS.fullmatch(tracking_number)


def tracking_warning(option: DeliveryOption, provider: Provider, tracking_number: str):
    """The `warning` message Mark Package As Shipped adds, or None when the number fits only
    the carrier sent (§16.3)."""
    fitting = [p for p in option.providers if p.fits(tracking_number)]
    if fitting == [provider]:
        return None
    if not fitting:
        return "No shipping provider was found for this tracking number. Check the number."
    if len(fitting) > 1:
        return "match more than one provider"  # the sample's own words
    return (
        "The tracking number does not match the selected shipping provider. "
        f"Did you mean {fitting[0].name}?"
    )


@dataclass
class Package:
    """A US package: it comes into being when the seller ships (§16.1)."""

    id: str
    line_item_ids: list[str]
    provider: Provider
    tracking_number: str
    create_time: int  # shipped
    update_time: int
    corrections: int = 0  # Update Shipping Info calls that went through
    collected_at: int = 0  # the carrier's first scan
    delivered_at: int = 0

    def status(self, cancelled: bool) -> str:
        if cancelled:
            return "CANCELLED"
        if self.delivered_at:
            return "COMPLETED"
        return "FULFILLING" if self.collected_at else "PROCESSING"


def add_business_days(at: int, days: int) -> int:
    moment = datetime.fromtimestamp(at, UTC)
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return int(moment.timestamp())


def deadlines(paid_time: int) -> dict[str, int]:
    shipping_due = paid_time + SHIPPING_DUE_S
    return {
        "rts_sla_time": add_business_days(paid_time, SHIP_BY_BUSINESS_DAYS),
        "tts_sla_time": add_business_days(paid_time, COLLECT_BY_BUSINESS_DAYS),
        "shipping_due_time": shipping_due,
        "collection_due_time": paid_time + COLLECTION_DUE_S,
        "delivery_due_time": paid_time + DELIVERY_DUE_S,
        "cancel_order_sla_time": shipping_due,  # deprecated (§16.1), still sent
    }
