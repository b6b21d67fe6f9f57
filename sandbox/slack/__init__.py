"""A Slack Web API emulator: the methods orderbot calls, with Slack's checks and limits.

    sandbox = SlackSandbox().start()
    client = WebClient(base_url=sandbox.url, token=sandbox.bot_token)   # sandbox.url ends in /api/

Serves `POST /api/<method>` (and GET) for auth.test, chat.postMessage, chat.update,
chat.postEphemeral, chat.delete, conversations.history, conversations.info, views.open,
views.update, views.push, views.publish and users.info, with JSON or form bodies, the bot token
as `Authorization: Bearer …` or a `token` field (else `not_authed` / `invalid_auth`). Blocks and
views are parsed with slack_sdk's Block Kit models and checked against Slack's limits: a broken
message answers `invalid_blocks`, a broken view `invalid_arguments` (as Slack does), each with
`response_metadata.messages`. Messages keep their `metadata` (event_type, event_payload), which
conversations.history returns with `include_all_metadata`; that method needs the *:history scope
of the conversation (`missing_scope` otherwise). chat.postMessage can be held to about one
message per second per channel (HTTP 429 with `Retry-After` beyond it). Every call is recorded,
failed ones too. `response_url(key)` gives a URL on this server that records what is posted to
it (a response URL takes five posts, as Slack's does).

    blockkit.py   the Block Kit checks (pure)
    methods.py    the Web API methods over one Workspace
    ratelimit.py  chat.postMessage's per-channel limit
    emulator.py   HTTP, the token, the limit, response URLs, recording and waiting

An independent reading of Slack's documentation: imports no orderbot code.
"""

from sandbox.slack.blockkit import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    TABLE_CELLS,
    TABLE_CHARS,
    TABLE_ROWS,
    VIEW_BLOCKS,
    check_blocks,
    check_view,
)
from sandbox.slack.emulator import RESPONSE_URL_USES, Call, SlackSandbox
from sandbox.slack.methods import SCOPES, Message

__all__ = [
    "MESSAGE_BLOCKS",
    "MESSAGE_TEXT",
    "RESPONSE_URL_USES",
    "SCOPES",
    "TABLE_CELLS",
    "TABLE_CHARS",
    "TABLE_ROWS",
    "VIEW_BLOCKS",
    "Call",
    "Message",
    "SlackSandbox",
    "check_blocks",
    "check_view",
]
