from slack_bolt import App

from bot.listeners.options.etsy_sku import etsy_sku_options
from commands import actions as ids


def register(app: App) -> None:
    app.options(ids.ETSY_SKU_FIELD)(etsy_sku_options)
