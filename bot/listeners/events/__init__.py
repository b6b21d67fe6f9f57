from slack_bolt import App

from bot.listeners.events.app_home_opened import app_home_opened, app_home_opened_ack


def register(app: App) -> None:
    app.event("app_home_opened")(ack=app_home_opened_ack, lazy=[app_home_opened])
