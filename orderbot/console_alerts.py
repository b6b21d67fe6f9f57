"""The demo's alert channel: alerts printed in the console, their buttons pressable there.

Each alert prints as `[alert 7]` with its buttons numbered after it, `[7: Mark handled]`;
typing that presses the button, as a click in Slack would (`commands.interactions.command_for`,
run as the operator). An alert updated in place prints again, `[alert 7, updated]`, and its
buttons become the new ones.

Alerts arrive on the scheduler's thread. So they never cut into what is being typed or shown:
while a command runs (`holding`), they wait and print after its reply; at the prompt, the
prompt is printed again after them.
"""

import itertools
import re
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from rich.console import Console

from commands.replies import Actions, Button, Reply
from orderbot.render_text import render_text

PROMPT = "orders> "
_PRESS = re.compile(r"^\[\s*(\d+)\s*:\s*(.+?)\s*\]$")  # [7: Mark handled]


def numbered(reply: Reply, number: str) -> Reply:
    """`reply` with each button labelled `<number>: <label>`, as the console prints it."""
    blocks = tuple(
        Actions(tuple(replace(b, label=f"{number}: {b.label}") for b in block.buttons))
        if isinstance(block, Actions)
        else block
        for block in reply.blocks
    )
    return replace(reply, blocks=blocks)


class ConsoleAlerts:
    """An alert channel (`sync.alerts.Poster`) that prints to `out`; the payload is the Reply."""

    channel = "console"

    def __init__(self, out: Console):
        self.out = out
        self._lock = threading.RLock()
        self._numbers = itertools.count(1)
        self._buttons: dict[str, tuple[Button, ...]] = {}  # alert number → its buttons now
        self._numbers_of: dict[str, str] = {}  # alert key → number
        self._held: list[str] | None = None  # printed text waiting for a command to finish
        self._at_prompt = False

    # the outbox's side

    def render(self, reply: Reply) -> Reply:
        return reply

    def post(self, reply: Reply, *, key: str) -> tuple[str, str]:
        with self._lock:
            number = str(next(self._numbers))
            self._numbers_of[key] = number
            self._show(f"[alert {number}]", number, reply)
        return self.channel, number

    def update(self, channel: str, ts: str, reply: Reply, *, key: str) -> None:
        with self._lock:
            self._show(f"[alert {ts}, updated]", ts, reply)

    def find(self, keys: Collection[str], *, since: datetime) -> dict[str, tuple[str, str]]:
        """Alerts printed by this process (the demo's database lives no longer than it)."""
        with self._lock:
            return {k: (self.channel, self._numbers_of[k]) for k in keys if k in self._numbers_of}

    def _show(self, tag: str, number: str, reply: Reply) -> None:
        self._buttons[number] = tuple(
            button
            for block in reply.blocks
            if isinstance(block, Actions)
            for button in block.buttons
        )
        width = self.out.width if self.out.is_terminal else 160
        text = f"\n{tag}\n{render_text(numbered(reply, number), width=width)}"
        if self._held is not None:
            self._held.append(text)
            return
        self._print(text)
        if self._at_prompt:  # the alert came in while the operator was at the prompt
            self.out.print(PROMPT, end="", markup=False)

    def _print(self, text: str) -> None:
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    # the console's side

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Alerts that arrive inside the block print after it (after the command's reply)."""
        with self._lock:
            self._held = []
        try:
            yield
        finally:
            with self._lock:
                held, self._held = self._held or [], None
                for text in held:
                    self._print(text)

    def prompt(self) -> None:
        """Print the prompt; alerts printed until `prompt_answered` reprint it after them."""
        with self._lock:
            self.out.print(PROMPT, end="", markup=False)
            self._at_prompt = True

    def prompt_answered(self) -> None:
        with self._lock:
            self._at_prompt = False

    def button(self, text: str) -> Button | str | None:
        """The alert button `text` presses (`[7: Mark handled]`), what is wrong with it, or
        None when `text` is not an alert button press."""
        found = _PRESS.match(text.strip())
        if found is None:
            return None
        number, label = found.group(1), found.group(2).lower().rstrip("…")
        with self._lock:
            buttons = self._buttons.get(number)
        if buttons is None:
            return f"No alert {number} has been shown."
        for button in buttons:
            if button.label.lower().rstrip("…") == label:
                return button
        labels = ", ".join(f"[{number}: {b.label}]" for b in buttons) or "none"
        return f"Alert {number} has no button [{found.group(2)}] (now: {labels})."
