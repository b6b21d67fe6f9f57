"""What a Slack user does to the served app (tests/bot/conftest.py: `slack`, `spy`), each
request posted while the spy holds the core: the ack must come back before the command runs
(an app that ran it first would never answer while held, and the request would time out)."""

from tests.utils.ids import ADMIN, CHANNEL
from tests.utils.slack_requests import Answer, block_action, slash_command, submission


def command(slack, slack_api, spy, text, *, user=ADMIN, key="r1", channel=CHANNEL) -> Answer:
    """/orders `text`; its reply reaches the response_url `key` only after the ack."""
    url = slack_api.response_url(key)
    with spy.holding():
        answer = slack.post(slash_command(text, user=user, response_url=url, channel=channel))
        assert answer.status == 200, answer.body
        assert slack_api.responses(key) == []
    return answer


def click(slack, slack_api, spy, action_id, value, *, user=ADMIN, key="r1", **where) -> Answer:
    """A button (`where`: see `block_action`), answered at the response_url `key`."""
    url = slack_api.response_url(key)
    with spy.holding():
        answer = slack.post(block_action(action_id, value, user=user, response_url=url, **where))
        assert answer.status == 200, answer.body
    return answer


def submit(slack, spy, view: dict, values: dict[str, str], *, user=ADMIN) -> Answer:
    """The form `view` submitted with `values`."""
    with spy.holding():
        answer = slack.post(submission(view, values, user=user))
        assert answer.status == 200, answer.body
    return answer


def responses(slack_api, key="r1", count=1) -> list[dict]:
    """The first `count` posts to the response_url `key`, once they have all arrived."""
    return slack_api.wait_for(
        lambda: len(slack_api.responses(key)) >= count and slack_api.responses(key)
    )
