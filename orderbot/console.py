"""Running `/orders` texts from a terminal: one at a time (`exec`) or interactively (`demo`)."""

import contextlib
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from commands.context import Actor, Context, FetchProgress, Services
from commands.execute import execute, refuse
from commands.interactions import FieldErrors, command_for, command_for_form
from commands.parse import parse
from commands.replies import Button, Reply, SelectField
from commands.types import Command, Fetch
from orderbot.console_alerts import PROMPT, ConsoleAlerts
from orderbot.render_text import render_text

OPERATOR = Actor(id="cli", is_admin=True, trusted=True)


def run_text(text: str, services: Services, out: Console) -> Reply:
    return run_command(parse(text), services, out)


def run_command(command: Command, services: Services, out: Console) -> Reply:
    if isinstance(command, Fetch):
        with fetch_progress(out) as report:
            return execute(command, Context(services=services, actor=OPERATOR, progress=report))
    return execute(command, Context(services=services, actor=OPERATOR))


class fetch_progress:
    """A live line: pages, orders, placed, failed (the total is unknown until the end)."""

    def __init__(self, out: Console):
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=out,
            transient=True,
        )

    def __enter__(self):
        self._progress.__enter__()
        task = self._progress.add_task("fetching…", total=None)

        def report(p: FetchProgress) -> None:
            self._progress.update(
                task,
                description=f"pages {p.pages} · orders {p.orders} · placed {p.placed} · "
                f"failed {p.failed}",
            )

        return report

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc)


def show(reply: Reply, out: Console) -> None:
    # Piped output has no width to honour; keep order ids whole rather than wrap at 80.
    width = out.width if out.is_terminal else 160
    out.print(render_text(reply, width=width), markup=False, highlight=False, soft_wrap=True)


def interactive(
    services: Services,
    out: Console,
    lines: Iterable[str] | None = None,
    alerts: ConsoleAlerts | None = None,
) -> None:
    """Read command texts until end of input (or `quit`). `[Label]` presses a button of the
    last reply; a number picks an option of the last reply's form. With `alerts`, the alert
    channel printing here: `[7: Label]` presses a button of alert 7, and alerts that arrive
    while a command runs print after its reply."""
    out.print(
        "Type /orders commands (e.g. `/orders status all`), `[Next]` to press a button, "
        + ("`[7: Mark handled]` to press one on alert 7, " if alerts else "")
        + "`help`, or `quit`.",
        markup=False,
    )
    source = lines if lines is not None else _stdin_lines(out, alerts)
    last: Reply | None = None
    for raw in source:
        text = raw.strip()
        if not text:
            continue
        if text.lower() in {"quit", "exit", ":q"}:
            return
        with alerts.holding() if alerts else contextlib.nullcontext():
            reply = _alert_press(text, alerts, services, out)
            reply = reply if reply is not None else _interaction(text, last, services, out)
            pressed = reply is not None
            if reply is None:
                reply = run_text(text, services, out)
            show(reply, out)
        if reply.ok or not pressed:  # a mistyped press leaves the last reply's buttons usable
            last = reply


def _alert_press(
    text: str, alerts: ConsoleAlerts | None, services: Services, out: Console
) -> Reply | None:
    """A press of an alert's button (`[7: Mark handled]`), or None for anything else."""
    found = alerts.button(text) if alerts else None
    if found is None:
        return None
    if isinstance(found, str):
        return refuse(found)
    return press(found, services, out)


def _interaction(text: str, last: Reply | None, services: Services, out: Console) -> Reply | None:
    """A button press or a form answer on the last reply, or None for a command text."""
    if last is None:
        return None
    if text.startswith("[") and text.endswith("]"):
        label = text[1:-1].strip().lower()
        for block in last.blocks:
            for button in getattr(block, "buttons", ()):
                if button.label.lower().rstrip("…") == label.rstrip("…"):
                    return press(button, services, out)
        return refuse(f"No button [{text[1:-1]}] on the last reply.")
    form = last.form
    select = next((f for f in form.fields if isinstance(f, SelectField)), None) if form else None
    if form is not None and select is not None and text.isdigit():
        if not 1 <= int(text) <= len(select.options):
            return refuse(f"Pick a number from 1 to {len(select.options)}.")
        values = {select.id: select.options[int(text) - 1][0]}
        command = command_for_form(form.callback_id, form.private_metadata, values)
        if command is None or isinstance(command, FieldErrors):
            return refuse("That form cannot be answered here.")
        return run_command(command, services, out)
    return None


def press(button: Button, services: Services, out: Console) -> Reply:
    """What a click on the button does in Slack, as the operator."""
    command = command_for(button.action_id, button.value)
    if command is None:
        return refuse(f"[{button.label}] does nothing here.")
    return run_command(command, services, out)


def _stdin_lines(out: Console, alerts: ConsoleAlerts | None):
    while True:
        if sys.stdin.isatty():
            if alerts:  # so an alert printed meanwhile puts the prompt back after it
                alerts.prompt()
            else:
                out.print(PROMPT, end="", markup=False)
        line = sys.stdin.readline()
        if alerts:
            alerts.prompt_answered()
        if not line:
            return
        yield line
