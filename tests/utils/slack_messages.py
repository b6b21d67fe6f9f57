"""Reading what the Slack sandbox recorded: the alert channel, a message's buttons and words."""

import json

from tests.utils.ids import ALERT_CHANNEL


def alerts(slack_api) -> list:
    """The alert channel's messages, oldest first."""
    return slack_api.messages(ALERT_CHANNEL, include_ephemeral=False)


def button_ids(message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def words(message) -> str:
    """Everything a reader sees in a message, as one string."""
    return message.text + "\n" + json.dumps(message.blocks, ensure_ascii=False)
