"""The real core (or a stand-in) behind a Bolt app, with a record of what it was asked to
execute, and a hold that keeps commands from running until the test lets them."""

import threading
from contextlib import contextmanager

from bot.core import CoreCalls
from commands.context import Context

HOLD_LIMIT_S = 60  # longer than any request's timeout: a held command is let go, never dropped


class CoreSpy:
    def __init__(self, real: CoreCalls):
        self._real = real
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self.executed: list[tuple[object, Context]] = []
        self.core = CoreCalls(parse=real.parse, execute=self._execute, home=real.home)

    def _execute(self, command, ctx):
        with self._lock:
            self.executed.append((command, ctx))
        if not self._released.wait(HOLD_LIMIT_S):
            raise TimeoutError("a command was held and never let go")
        return self._real.execute(command, ctx)

    @contextmanager
    def holding(self):
        """Commands wait until the block ends. A request posted inside it gets its ack only if
        the app acks before running the command: an app that ran it first would never answer
        (the request times out, and the test fails)."""
        self._released.clear()
        try:
            yield
        finally:
            self._released.set()

    def commands(self) -> list:
        with self._lock:
            return [command for command, _ in self.executed]

    def reset(self) -> None:
        with self._lock:
            self.executed.clear()
