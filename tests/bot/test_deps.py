"""The bot refuses in the ack exactly what the core refuses: both ask `commands.policy`."""

from typing import get_args

from bot.core import load_core
from bot.deps import Deps
from bot.settings import BotSettings
from commands import policy
from commands.context import Actor
from commands.types import Command
from tests.utils.ids import ADMIN, GUEST, SHIPPER


def test_the_bots_refusal_is_the_policys_for_every_kind_of_command(world):
    settings = BotSettings(bot_token="xoxb-test", signing_secret="s", admins=frozenset({ADMIN}))
    deps = Deps(services=world.services, settings=settings, core=load_core())
    guest = Actor(GUEST, is_admin=False)
    kinds = get_args(Command)

    for kind in kinds:
        assert deps.refusal(kind, GUEST) == policy.refusal(kind, guest)
        assert deps.refusal(kind, ADMIN) is None
    refused = {kind for kind in kinds if deps.refusal(kind, GUEST)}
    assert refused == set(policy.ADMIN_ONLY) | set(policy.SHIPPERS_TOO)


def test_a_shipper_in_the_settings_may_ship_and_nothing_admin_only(world):
    settings = BotSettings(
        bot_token="xoxb-test",
        signing_secret="s",
        admins=frozenset({ADMIN}),
        shippers=frozenset({SHIPPER}),
    )
    deps = Deps(services=world.services, settings=settings, core=load_core())
    for kind in policy.SHIPPERS_TOO:
        assert deps.refusal(kind, SHIPPER) is None
        assert deps.refusal(kind, GUEST) is not None
    for kind in policy.ADMIN_ONLY:
        assert deps.refusal(kind, SHIPPER) is not None
