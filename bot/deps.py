"""What every listener needs besides what Bolt injects: the core, its services and the settings.

`build_app`'s middleware puts one `Deps` in each request's Bolt context (`context["orderbot"]`),
beside the request's command (`bot.listeners.run`), so listeners stay plain functions of what Bolt
injects. Bolt deep-copies a request's context before it hands it to a lazy listener; a `Deps` is
shared, not copied.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core import CoreCalls
from bot.settings import BotSettings
from commands import policy
from commands.context import Actor, Context, FetchProgress, Services
from commands.replies import Reply
from commands.types import Command

CONTEXT_KEY = "orderbot"


@dataclass(frozen=True, eq=False)
class Deps:
    services: Services  # built by the composition root, handed to the core untouched
    settings: BotSettings
    core: CoreCalls
    progress_interval_s: float = 1.0  # fetch progress updates at most this often
    monotonic: Callable[[], float] = time.monotonic

    def __deepcopy__(self, memo) -> "Deps":
        return self

    @classmethod
    def of(cls, context) -> "Deps":
        return context[CONTEXT_KEY]

    def actor(self, user_id: str) -> Actor:
        return Actor(
            id=user_id,
            is_admin=user_id in self.settings.admins,
            is_shipper=user_id in self.settings.shippers,
        )

    def context(
        self,
        user_id: str,
        *,
        confirmed: bool = False,
        progress: Callable[[FetchProgress], None] | None = None,
    ) -> Context:
        return Context(
            services=self.services,
            actor=self.actor(user_id),
            confirmed=confirmed,
            progress=progress,
        )

    def refusal(self, command: Command | type, user_id: str) -> Reply | None:
        """The refusal to show instead of running `command`, or None when the user may run it.
        The core refuses the same (`commands.policy`); the bot asks first, in the ack, so a
        non-admin's request never reaches a marketplace."""
        return policy.refusal(command, self.actor(user_id))
