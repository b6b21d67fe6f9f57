"""`orderbot`: the command line (SPEC §5)."""

import json
import logging
import sys
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from commands.replies import Reply
from orderbot import console, logs
from orderbot.compose import ConfigError, build_core, open_database
from orderbot.settings import Settings
from storage.db import migrate
from sync.errors import one_line

app = typer.Typer(
    help="orderbot: TikTok Shop orders, placed on Etsy, run from Slack.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err.print(f"orderbot: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _core(settings: Settings):
    try:
        return build_core(settings)
    except ConfigError as exc:
        fail(str(exc), 2)
    except OperationalError as exc:
        fail(f"cannot open the database {settings.database_url!r}: {exc.orig}", 2)


@app.command()
def run() -> None:
    """Production: the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)."""
    from orderbot.runtime import run as run_bot

    logs.configure(logging.INFO)
    try:
        run_bot(Settings())
    except ConfigError as exc:
        fail(str(exc), 2)


def _run_once(text: str) -> Reply:
    """One command text against the configured stores. An error the core did not expect ends
    the command with one line made of its type and text, not a traceback."""
    logs.configure_one_shot()
    core = _core(Settings())
    try:
        return console.run_text(text, core.services, out)
    except Exception as exc:
        fail(one_line(exc))
    finally:
        core.close()


@app.command()
def fetch() -> None:
    """Fetch new and changed TikTok orders once and place new ones on Etsy."""
    reply = _run_once("fetch")
    console.show(reply, out)
    if not reply.ok:
        raise typer.Exit(1)


@app.command("exec")
def exec_(
    text: Annotated[
        str, typer.Argument(help='A command as typed in Slack, e.g. "/orders status failed"')
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print Block Kit JSON instead of text")
    ] = False,
) -> None:
    """Execute one `/orders …` command as the operator (never asks for confirmation)."""
    asked = _run_once(text)
    reply = console.without_form(asked)  # exec cannot ask: it says what to type instead
    if as_json:
        from bot.render import form_modal, message

        payload = message(reply)
        if asked.form is not None:
            payload["modal"] = form_modal(asked.form)  # what Slack would open
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        console.show(reply, out)
    if not reply.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    orders: Annotated[
        int,
        typer.Option(
            help="How many random TikTok orders the sandbox starts with, besides the ones "
            "staged in every section"
        ),
    ] = 60,
    run: Annotated[
        list[str] | None,
        typer.Option("--run", help="A command text to execute; repeatable; exits after the last"),
    ] = None,
) -> None:
    """Start the sandbox marketplaces, fetch, and open a console (or run --run texts)."""
    from orderbot.demo import run_demo

    sys.exit(run_demo(orders=orders, texts=run or [], out=out))


@app.command()
def sandbox(
    orders: Annotated[
        int, typer.Option(help="How many random TikTok orders to seed (besides the staged ones)")
    ] = 60,
) -> None:
    """Run only the sandbox marketplaces and print their URLs and credentials."""
    from orderbot.demo import serve_sandbox

    serve_sandbox(orders=orders, out=out)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations to DATABASE_URL."""
    settings = Settings()
    try:
        db = open_database(settings.database_url)
        migrate(db)
    except OperationalError as exc:
        fail(f"cannot open the database {settings.database_url!r}: {exc.orig}", 2)
    out.print(
        f"database at {db.url.render_as_string(hide_password=True)} is up to date", markup=False
    )


def main() -> None:
    app()
