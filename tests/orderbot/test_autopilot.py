"""`orderbot run` (a real process) and `orderbot demo` with the autopilot wired in: the
scheduler, the TikTok webhook and the alert outbox (`orderbot.autopilot`)."""

import io
import os
import re

import httpx
import pytest
from rich.console import Console

from orderbot.demo import run_demo
from tests.utils.catalog import unique_skus
from tests.utils.ids import ADMIN, ALERT_CHANNEL, SIGNING_SECRET
from tests.utils.processes import OrderbotRun
from tests.utils.settings import core_settings, settings_environment
from tests.utils.slack_messages import alerts
from tests.utils.webhooks import signed_push


@pytest.fixture
def running(shops, slack_api, tmp_path):
    settings = core_settings(shops, f"sqlite:///{tmp_path / 'run.db'}")
    env = {
        **os.environ,
        **settings_environment(settings),
        "SLACK_BOT_TOKEN": slack_api.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.url,
        "ORDERBOT_ALERT_CHANNEL": ALERT_CHANNEL,
        "ORDERBOT_ADMINS": ADMIN,
    }
    env.pop("SLACK_APP_TOKEN", None)
    run = OrderbotRun(env, tmp_path)
    try:
        yield run.serving().base
    finally:
        run.stop()


def test_run_takes_tiktok_pushes_and_posts_the_alert(running, shops, slack_api):
    shops.tiktok.webhook_url = f"{running}/tiktok/webhook"
    (sku,) = unique_skus(shops, 1)

    order_id = shops.tiktok.add_order(skus=[sku])["id"]

    (alert,) = slack_api.wait_for(lambda: alerts(slack_api), timeout=15)
    assert f"New order {order_id}" in alert.text
    assert shops.tiktok.wait_for_webhooks(5)
    assert [d.status for d in shops.tiktok.webhook_deliveries] == [200]
    forged, headers = signed_push("sandbox-app-key", "a-forger", {"type": 1, "shop_id": "1"})
    answer = httpx.post(f"{running}/tiktok/webhook", content=forged, headers=headers)
    assert answer.status_code == 401


def test_demo_runs_the_scheduler_and_prints_alerts():
    out = io.StringIO()
    assert run_demo(orders=8, texts=["status failed"], out=Console(file=out, width=160)) == 0
    text = out.getvalue()
    assert "Scheduler running" in text and "/tiktok/webhook" in text
    assert "[alert 1]" in text
    assert "New order" in text or "new TikTok orders" in text
    assert text.index("[alert 1]") < text.index("> status failed")  # before the prompt
    assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text)  # no buyer e-mail, anywhere
