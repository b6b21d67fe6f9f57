"""Running `/orders` texts from a terminal: one at a time (`exec`) or interactively (`demo`)."""

import sys
from collections.abc import Iterable

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from commands.context import Actor, Context, FetchProgress, Services
from commands.execute import execute
from commands.parse import parse
from commands.replies import Reply
from commands.types import Fetch
from orderbot.render_text import render_text

OPERATOR = Actor(id="cli", is_admin=True, trusted=True)


def run_text(text: str, services: Services, out: Console) -> Reply:
    command = parse(text)
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


def interactive(services: Services, out: Console, lines: Iterable[str] | None = None) -> None:
    """Read command texts until end of input (or `quit`)."""
    out.print("Type /orders commands (e.g. `/orders status all`), `help`, or `quit`.", markup=False)
    source = lines if lines is not None else _stdin_lines(out)
    for raw in source:
        text = raw.strip()
        if not text:
            continue
        if text.lower() in {"quit", "exit", ":q"}:
            return
        show(run_text(text, services, out), out)


def _stdin_lines(out: Console):
    while True:
        if sys.stdin.isatty():
            out.print("orders> ", end="", markup=False)
        line = sys.stdin.readline()
        if not line:
            return
        yield line
