"""The three calls the Slack surface makes into `commands`, gathered as one value.

Production passes nothing and gets the real functions; listener tests may pass stand-ins that
record what they were asked, so a test can prove that a refused request never reached the core.
"""

from collections.abc import Callable
from dataclasses import dataclass

from commands.context import Context
from commands.replies import Reply
from commands.types import Command


@dataclass(frozen=True)
class CoreCalls:
    parse: Callable[[str], Command]
    execute: Callable[[Command, Context], Reply]
    home: Callable[[Context], Reply]


def load_core() -> CoreCalls:
    from commands.execute import execute
    from commands.home import home
    from commands.parse import parse

    return CoreCalls(parse=parse, execute=execute, home=home)
