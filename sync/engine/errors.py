"""Requests the engine refuses."""


class EngineError(Exception):
    """A request the engine refuses; the message is for the user."""


class FetchRunning(EngineError):
    pass


class OrderNotFound(EngineError):
    pass


class ShopBusy(EngineError):
    """Another worker holds this shop's stock for longer than a request may wait."""


class MappingRefused(EngineError):
    """An Etsy SKU a mapping cannot use (on no listing, on several, or without one stock
    level); the message names the index's nearest SKUs."""
