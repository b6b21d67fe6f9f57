"""Which of TikTok's carriers a user meant, and whether a tracking number can be sent (pure).

SPEC §4.1: the carrier is matched case-insensitively against the names Get Shipping Providers
gives for the order's delivery option; an exact name wins over prefixes (`ups` is UPS, not UPS
Mail Innovations), else a prefix that fits exactly one provider. Spaces and punctuation are
ignored too (`dhl-ecommerce`, `ontrac`), as the command takes the carrier as one word. The
modal sends a provider's id, which matches that provider.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sync.tiktok.fulfillment import ShippingProvider

MAX_TRACKING = 40  # the longest carrier numbers (UPS Mail Innovations) are 26 characters
_TRACKING = re.compile(r"[0-9A-Za-z]+")  # TikTok refuses special characters (21004012)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class NoCarrier:
    """None of the providers, or several, fit what was typed: say which there are."""

    typed: str
    fitting: tuple[ShippingProvider, ...]  # several that fit; empty: none did


def _forms(text: str) -> tuple[str, str]:
    folded = text.casefold().strip()
    return folded, _NOT_ALNUM.sub("", folded)


def match(typed: str, providers: Sequence[ShippingProvider]) -> ShippingProvider | NoCarrier:
    by_id = [p for p in providers if p.id == typed]
    if len(by_id) == 1:
        return by_id[0]
    word, compact = _forms(typed)
    if not compact:
        return NoCarrier(typed, ())
    named = [(p, *_forms(p.name)) for p in providers]
    for fits in (
        lambda name, short: name == word,
        lambda name, short: short == compact,
        lambda name, short: name.startswith(word),
        lambda name, short: short.startswith(compact),
    ):
        found = tuple(p for p, name, short in named if fits(name, short))
        if len(found) == 1:
            return found[0]
        if found:
            return NoCarrier(typed, found)
    return NoCarrier(typed, ())


def tracking_problem(tracking_number: str) -> str | None:
    """Why the number cannot go to TikTok as it is, or None."""
    if not tracking_number:
        return "The tracking number is empty."
    if len(tracking_number) > MAX_TRACKING:
        return (
            f"That tracking number is {len(tracking_number)} characters long; carriers' are at "
            f"most {MAX_TRACKING}."
        )
    if not _TRACKING.fullmatch(tracking_number):
        return (
            "A tracking number has only letters and digits (TikTok refuses anything else); "
            "retype it without spaces or dashes."
        )
    return None
