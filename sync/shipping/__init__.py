"""Shipping seller-shipped orders (SPEC §4.1): their facts, carriers, deadlines."""

from sync import sections

# TikTok statuses of an order the seller still has to ship (some or all of its items).
TO_SHIP = (sections.AWAITING_SHIPMENT, sections.PARTIALLY_SHIPPING)
# The sections such orders are in (`sections.classify`): a query filters on these first, as
# `orders` is indexed by section.
TO_SHIP_SECTIONS = (
    sections.Section.AWAITING_SHIPMENT.value,
    sections.Section.IN_TRANSIT.value,
    sections.Section.FAILED.value,
)
