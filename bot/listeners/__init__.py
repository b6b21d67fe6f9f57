"""Every Slack listener, bound by kind: one sub-package per kind, one listener per file."""

from slack_bolt import App

from bot.listeners import actions, commands, events, options, views


def register(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    options.register(app)
