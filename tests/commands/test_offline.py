"""Help and unparseable text are answered without services, exactly as `execute` answers them."""

import pytest

from commands.context import Actor, Context
from commands.execute import execute
from commands.offline import offline_reply
from commands.parse import parse

NO_SERVICES = Context(services=None, actor=Actor(id="U0ANYONE", is_admin=False))


@pytest.mark.parametrize("text", ["help", "/orders help", "frobnicate", "status nowhere", ""])
def test_offline_replies_are_what_execute_says(text):
    command = parse(text)
    reply = offline_reply(command)
    assert reply is not None
    assert reply == execute(command, NO_SERVICES)


@pytest.mark.parametrize("text", ["fetch", "status all", "show 576460000000000001"])
def test_commands_that_need_the_core_are_not_answered_offline(text):
    assert offline_reply(parse(text)) is None
