"""Replies that need no services: help, and text that is not a command.

`orderbot exec "/orders help"` answers from here without settings or a database (and without
loading the database libraries); `execute` answers these two the same way.
"""

from commands.parse import EXAMPLE_NOTE, USAGE
from commands.replies import Heading, KeyValues, Paragraph, Reply
from commands.types import Command, Help, Invalid


def help_reply() -> Reply:
    return Reply(
        text="orderbot: /orders commands",
        blocks=(
            Heading("orderbot — TikTok Shop orders, placed on Etsy"),
            KeyValues(USAGE),
            Paragraph(EXAMPLE_NOTE),
        ),
    )


def invalid_reply(command: Invalid) -> Reply:
    # A message may start with the command's name ("show needs an order id"): a sentence.
    message = command.message[:1].upper() + command.message[1:]
    blocks = [Paragraph(message)]
    if "/orders help" not in message:  # one pointer to help is enough
        blocks.append(Paragraph("Type /orders help for the commands."))
    return Reply(text=message, blocks=tuple(blocks), ok=False)


def offline_reply(command: Command) -> Reply | None:
    """The reply to `command` when it needs no services, else None."""
    if isinstance(command, Help):
        return help_reply()
    if isinstance(command, Invalid):
        return invalid_reply(command)
    return None
