"""Map SKU…: admins get the mapping form, TikTok SKU filled in (value: that SKU)."""

from bot import render
from bot.deliver import open_form, refuse
from bot.deps import Deps
from bot.payloads import first_action
from commands.types import Map


def map_sku_start(ack, body, client, respond, context) -> None:
    ack()
    if refuse(Deps.of(context), Map, body=body, client=client, respond=respond):
        return
    sku = first_action(body).get("value", "")
    open_form(render.map_sku_form(sku), body=body, client=client, values={"tiktok_sku": sku})
