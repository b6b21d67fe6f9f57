"""Block Kit rendering of the core's renderer-neutral replies (commands.replies).

Every string from a reply is treated as untrusted: plain_text where no emphasis is needed, and
escaped (`&`, `<`, `>`) wherever Slack reads mrkdwn, so typed `<!channel>` or `<@U…>` never pings.
Everything is cut to Slack's limits (`limits.py`) with "…" rather than refused.
"""

from bot.render.blocks import action_pattern, base_action_id, render_blocks
from bot.render.surfaces import (
    FETCH_STARTED,
    WORKING,
    fallback_text,
    form_modal,
    home_view,
    message,
    notice_modal,
    options,
    progress_text,
    reply_modal,
)
from bot.render.text import escape

__all__ = [
    "FETCH_STARTED",
    "WORKING",
    "action_pattern",
    "base_action_id",
    "escape",
    "fallback_text",
    "form_modal",
    "home_view",
    "message",
    "notice_modal",
    "options",
    "progress_text",
    "render_blocks",
    "reply_modal",
]
