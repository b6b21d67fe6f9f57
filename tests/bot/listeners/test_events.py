"""Events (bot/listeners/events/) over signed HTTP to the served app: App Home."""

from commands import actions
from tests.utils.ids import ADMIN
from tests.utils.slack_requests import app_home_opened


def test_app_home_shows_the_dashboard(slack, slack_api):
    answer = slack.post(app_home_opened(ADMIN))
    assert answer.status == 200
    home = slack_api.wait_for(lambda: slack_api.home(ADMIN))
    assert home["type"] == "home"
    assert home["blocks"][0]["text"]["text"] == "Orders per section"
    buttons = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == actions.FETCH_NOW
