"""What a command runs with: the core's services and who is asking."""

from collections.abc import Callable
from dataclasses import dataclass

from storage.db import SessionFactory
from sync.clock import Clock
from sync.engine import Engine, FetchProgress

__all__ = ["Actor", "Context", "FetchProgress", "Services"]


def _no_outbox(_key: str) -> None:
    """Without an alert outbox there is no message to update."""


@dataclass(frozen=True)
class Services:
    engine: Engine
    sessions: SessionFactory
    shop_id: int
    clock: Clock
    # Tells the alert outbox that a command changed the alert with this key, so its message
    # shows the change at once; wired by the composition root.
    alert_changed: Callable[[str], None] = _no_outbox


@dataclass(frozen=True)
class Actor:
    id: str  # a Slack user id, or "cli"
    is_admin: bool
    trusted: bool = False  # the local CLI: never asks for confirmation
    is_shipper: bool = False  # in ORDERBOT_SHIPPERS: may ship without being an admin


@dataclass
class Context:
    services: Services
    actor: Actor
    confirmed: bool = False  # the user pressed a confirmation button or submitted a form
    progress: Callable[[FetchProgress], None] | None = None
