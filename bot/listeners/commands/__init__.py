from slack_bolt import App

from bot.listeners.commands.orders import orders_ack, orders_run

COMMAND = "/orders"


def register(app: App) -> None:
    app.command(COMMAND)(ack=orders_ack, lazy=[orders_run])
