"""The calls the Slack surface makes into `commands`, gathered as one value.

Production passes nothing and gets the real functions; listener tests may pass stand-ins that
record what they were asked, so a test can prove that a refused request never reached the core.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from commands.context import Context
from commands.replies import Reply
from commands.types import Command


@dataclass(frozen=True)
class CoreCalls:
    parse: Callable[[str], Command]
    execute: Callable[[Command, Context], Reply]
    home: Callable[[Context], Reply]
    # (field id, typed text, context) -> (value, label) choices for a SearchField
    options: Callable[[str, str, Context], tuple[tuple[str, str], ...]] = field(
        default_factory=lambda: _real_options()
    )


def _real_options():
    from commands.mappings import options

    return options


def load_core() -> CoreCalls:
    from commands.execute import execute
    from commands.home import home
    from commands.parse import parse

    return CoreCalls(parse=parse, execute=execute, home=home, options=_real_options())
