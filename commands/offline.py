"""Replies that need no services: help, and text that is not a command.

`orderbot exec "/orders help"` answers from here without settings or a database (and without
loading the database libraries); `execute` answers these two the same way.
"""

from commands.parse import USAGE
from commands.replies import Heading, KeyValues, Paragraph, Reply
from commands.types import Command, Help, Invalid


def help_reply() -> Reply:
    return Reply(
        text="orderbot: /orders commands",
        blocks=(
            Heading("orderbot — TikTok Shop orders, placed on Etsy"),
            KeyValues(USAGE),
        ),
    )


def invalid_reply(command: Invalid) -> Reply:
    return Reply(
        text=command.message,
        blocks=(Paragraph(command.message), Paragraph("Type /orders help for the commands.")),
        ok=False,
    )


def offline_reply(command: Command) -> Reply | None:
    """The reply to `command` when it needs no services, else None."""
    if isinstance(command, Help):
        return help_reply()
    if isinstance(command, Invalid):
        return invalid_reply(command)
    return None
