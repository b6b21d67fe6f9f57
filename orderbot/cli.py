"""`orderbot`: the command line (SPEC §5).

Module-level imports stay light: `orderbot --help` and `orderbot exec "/orders help"` need no
settings, database or Slack libraries, so each command imports what it uses when it runs.
"""

import json
import logging
import sys
from functools import cache
from typing import TYPE_CHECKING, Annotated

import typer

from storage.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    from rich.console import Console

    from commands.context import Services
    from commands.replies import Reply
    from orderbot.compose import Core
    from orderbot.settings import Settings

app = typer.Typer(
    help="orderbot: TikTok Shop orders, placed on Etsy, run from Slack.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: no <bool> / <int> type column beside every option
    pretty_exceptions_show_locals=False,  # a traceback never prints local values (secrets)
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@cache
def out() -> "Console":
    from rich.console import Console

    return Console()


def fail(message: str, code: int = 1) -> None:
    print(f"orderbot: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"orderbot {version('orderbot')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    pass


def _settings() -> "Settings":
    """The settings, or one line that names each one that is wrong."""
    from pydantic import ValidationError

    from orderbot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(message if name in message else f"{name}: {message}")
        fail("; ".join(problems), 2)


def _core(settings: "Settings") -> "Core":
    from sqlalchemy.exc import OperationalError

    from orderbot.compose import build_core

    try:
        return build_core(settings)
    except ConfigError as exc:
        fail(str(exc), 2)
    except OperationalError as exc:
        fail(f"cannot open the database {settings.database_url!r}: {exc.orig}", 2)


def show(reply: "Reply") -> None:
    """As `console.show`, without loading the core for a reply that needs none."""
    from orderbot.render_text import render_text

    # Piped output has no width to honour; keep order ids whole rather than wrap at 80.
    console = out()
    width = console.width if console.is_terminal else 160
    console.print(render_text(reply, width=width), markup=False, highlight=False, soft_wrap=True)


@app.command()
def run() -> None:
    """Production: the Slack app, scheduler and TikTok webhook.

    Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT."""
    from orderbot import logs
    from orderbot.runtime import run as run_bot

    settings = _settings()
    logs.configure(logging.INFO)
    try:
        run_bot(settings)
    except ConfigError as exc:
        fail(str(exc), 2)


def _run_once(work: "Callable[[Services, ModuleType], Reply]") -> "Reply":
    """`work(services, console)` against the configured stores, once. A configuration error
    (e.g. stored tokens ORDERBOT_SECRET_KEY cannot open) or any error the core did not expect
    ends the command with one line, not a traceback."""
    from orderbot import console, logs
    from sync.errors import one_line

    logs.configure_one_shot()
    core = _core(_settings())
    try:
        return work(core.services, console)
    except ConfigError as exc:
        fail(str(exc), 2)
    except Exception as exc:
        fail(one_line(exc))
    finally:
        core.close()


@app.command()
def fetch() -> None:
    """Fetch new and changed TikTok orders once and place new ones on Etsy."""
    reply = _run_once(lambda services, console: console.run_text("fetch", services, out()))
    show(reply)
    if not reply.ok:
        raise typer.Exit(1)


@app.command("exec")
def exec_(
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT", help='A command as typed in Slack, e.g. "/orders status failed"'
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print Block Kit JSON instead of text")
    ] = False,
) -> None:
    """Run one /orders command as the operator.

    The operator is trusted: nothing asks for confirmation; a command that would ask (a cancel
    without a reason) says what to type instead."""
    from commands.offline import offline_reply
    from commands.parse import parse

    command = parse(text)
    reply, asked = offline_reply(command), None
    if reply is None:
        asked = _run_once(lambda services, console: console.run_command(command, services, out()))
        from orderbot.console import without_form

        reply = without_form(asked)
    if as_json:
        from bot.render import form_modal, message

        payload = message(reply)
        if asked is not None and asked.form is not None:
            payload["modal"] = form_modal(asked.form)  # what Slack would open
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        show(reply)
    if not reply.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    orders: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="How many random TikTok orders the sandbox starts with, besides the ones "
            "staged in every section",
        ),
    ] = 60,
    run: Annotated[
        list[str] | None,
        typer.Option(
            "--run",
            metavar="TEXT",
            help="A command text to execute; repeatable; exits after the last",
        ),
    ] = None,
) -> None:
    """Try it all locally: sandbox marketplaces and a console.

    Starts emulators of TikTok Shop and Etsy, fetches, and opens a console (or runs the --run
    texts and exits)."""
    from orderbot.demo import run_demo

    sys.exit(run_demo(orders=orders, texts=run or [], out=out()))


@app.command()
def sandbox(
    orders: Annotated[
        int,
        typer.Option(
            metavar="N", help="How many random TikTok orders to seed (besides the staged ones)"
        ),
    ] = 60,
) -> None:
    """Run the sandbox marketplaces and print their settings."""
    from orderbot.demo import serve_sandbox

    serve_sandbox(orders=orders, out=out())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations to DATABASE_URL."""
    from sqlalchemy.exc import OperationalError

    from orderbot.compose import open_database
    from storage.db import migrate

    settings = _settings()
    try:
        db = open_database(settings.database_url)
        migrate(db)
    except OperationalError as exc:
        fail(f"cannot open the database {settings.database_url!r}: {exc.orig}", 2)
    out().print(
        f"database at {db.url.render_as_string(hide_password=True)} is up to date", markup=False
    )


def main() -> None:
    app()
