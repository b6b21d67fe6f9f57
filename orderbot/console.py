"""Running `/orders` texts from a terminal: one at a time (`exec`) or interactively (`demo`)."""

import contextlib
import sys
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from commands.context import Actor, Context, FetchProgress, Services
from commands.execute import execute, refuse
from commands.interactions import FieldErrors, command_for, command_for_form
from commands.parse import parse
from commands.replies import (
    Actions,
    Button,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    SelectField,
    Table,
)
from commands.types import Command, Fetch, Help, Invalid
from orderbot.console_alerts import PROMPT, ConsoleAlerts
from orderbot.render_text import render_text

OPERATOR = Actor(id="cli", is_admin=True, trusted=True)
YES = {"y", "yes"}

# A console's own commands (the demo's `sandbox …`): the reply to a text, or None if not one.
LocalCommands = Callable[[str], Reply | None]


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


def without_form(reply: Reply) -> Reply:
    """What `orderbot exec` shows instead of a form it cannot ask: the commands that answer it
    (not ok: nothing was done)."""
    form = reply.form
    if form is None:
        return reply
    select = next((f for f in form.fields if isinstance(f, SelectField)), None)
    if not form.typed or select is None:
        return refuse(f"{reply.text}: that needs a form, which orderbot exec cannot show.")
    text = f"{reply.text}: orderbot exec cannot ask, so give it in the command."
    commands = tuple(
        (f'orderbot exec "{form.typed.format(choice=label.lower())}"',)
        for _, label in select.options
    )
    # A table's first column is never wrapped: each command stays whole, ready to copy.
    return Reply(text=text, blocks=(Paragraph(text), Table(("Run one of",), commands)), ok=False)


CONSOLE_HELP = (
    ("[Label]", "press a button of the last reply, e.g. [Next] or [Show failed orders]"),
    ("1, 2, …", "pick an option of the last reply's form (a cancel reason)"),
    ("[7: Label]", "press a button of alert 7, e.g. [7: Mark handled]"),
    ("quit", "leave (so do Ctrl-D and Ctrl-C)"),
)


class ConsoleSession:
    """One console's state: the last reply (whose buttons and form can be answered), a button
    press waiting for its confirmation, as Slack asks for it, and (in the demo) the alerts
    printed here, whose buttons are pressed as `[7: Label]`."""

    def __init__(
        self,
        services: Services,
        out: Console,
        *,
        last: Reply | None = None,
        local: LocalCommands | None = None,
        local_help: tuple[tuple[str, str], ...] = (),
        alerts: ConsoleAlerts | None = None,
    ):
        self.services, self.out = services, out
        self.last = last
        self.local = local
        self.alerts = alerts
        shown = CONSOLE_HELP[:3] if alerts else CONSOLE_HELP[:2]
        self.help = (*shown, *local_help, CONSOLE_HELP[3])
        self._confirming: Button | None = None

    def answer(self, text: str) -> Reply:
        """The reply to one line of input."""
        if self._confirming is not None:
            button, self._confirming = self._confirming, None
            if text.lower() in YES:
                return self._remember(self._run(button), pressed=True)
            return Reply(text=f"[{button.label}] not pressed; nothing was changed.")
        on_alert = self.alerts.button(text) if self.alerts else None
        if isinstance(on_alert, str):  # an alert number or label that is not there
            return refuse(on_alert)
        if on_alert is not None:
            return self._click(on_alert)  # the last reply stays: the alert is not a reply
        if text.startswith("[") and text.endswith("]"):
            return self._remember(self._press(text[1:-1].strip()), pressed=True)
        local = self.local(text) if self.local else None
        if local is not None:
            return local
        form_answer = self._form_answer(text)
        if form_answer is not None:
            return self._remember(form_answer, pressed=True)
        command = parse(text)
        reply = run_command(command, self.services, self.out)
        if isinstance(command, Help):
            reply = Reply(
                text=reply.text,
                blocks=(*reply.blocks, Heading("In this console"), KeyValues(self.help)),
            )
        return self._remember(reply, pressed=False)

    def _remember(self, reply: Reply, *, pressed: bool) -> Reply:
        if reply.ok or not pressed:  # a mistyped press leaves the last reply's buttons usable
            self.last = reply
        return reply

    def _press(self, label: str) -> Reply:
        wanted = label.lower().rstrip("…")
        buttons = [
            b for block in self._blocks() if isinstance(block, Actions) for b in block.buttons
        ]
        button = next((b for b in buttons if b.label.lower().rstrip("…") == wanted), None)
        if button is None:
            shown = " ".join(f"[{b.label}]" for b in buttons) or "none"
            return refuse(f"No button [{label}] on the last reply (its buttons: {shown}).")
        return self._click(button)

    def _click(self, button: Button) -> Reply:
        if button.confirm is not None:
            self._confirming = button
            question = (
                f"{button.confirm.title} {button.confirm.text} Type yes to go ahead, anything "
                "else to leave it."
            )
            return Reply(text=question, ok=False)  # asking changed nothing: the last reply stays
        return self._run(button)

    def _run(self, button: Button) -> Reply:
        """What a click on the button does in Slack, as the operator."""
        command = command_for(button.action_id, button.value)
        if command is None:
            return refuse(f"[{button.label}] does nothing here.")
        return run_command(command, self.services, self.out)

    def _form_answer(self, text: str) -> Reply | None:
        """The last reply's form answered by an option's number; None if `text` is no answer."""
        form = self.last.form if self.last else None
        select = (
            next((f for f in form.fields if isinstance(f, SelectField)), None) if form else None
        )
        if form is None or select is None or not form.pick:  # no pick: typed as a command
            return None
        if not text.isdigit():
            if isinstance(parse(text), Invalid):  # not a command either: the form is left
                self.last = None
                return Reply(text=f"{form.title}: left as it was; nothing was changed.")
            return None
        if not 1 <= int(text) <= len(select.options):
            return refuse(f"Pick a number from 1 to {len(select.options)}.")
        values = {select.id: select.options[int(text) - 1][0]}
        command = command_for_form(form.callback_id, form.private_metadata, values)
        if command is None or isinstance(command, FieldErrors):
            return refuse("That form cannot be answered here.")
        return run_command(command, self.services, self.out)

    def _blocks(self):
        return self.last.blocks if self.last else ()


def interactive(session: ConsoleSession, out: Console, lines: Iterable[str] | None = None) -> None:
    """Read lines until end of input (or `quit`) and show the session's answer to each; alerts
    that arrive while a line is answered print after its answer."""
    alerts = session.alerts
    out.print(
        "Type /orders commands (e.g. `/orders status all`), `[Next]` to press a button, "
        + ("`[7: Mark handled]` to press one on alert 7, " if alerts else "")
        + "`help`, or `quit`.",
        markup=False,
    )
    source = lines if lines is not None else _stdin_lines(out, alerts)
    for raw in source:
        text = raw.strip()
        if not text:
            continue
        if text.lower() in {"quit", "exit", ":q"}:
            return
        with alerts.holding() if alerts else contextlib.nullcontext():
            show(session.answer(text), out)


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
            if sys.stdin.isatty():
                out.print()  # Ctrl-D: end the prompt's line
            return
        yield line
