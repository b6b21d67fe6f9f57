"""Request alerts on the real core and the Slack sandbox: posted once when a request opens,
with its deadline and Approve / Reject… buttons, updated in place when answered; a reminder of
its own 6 hours before the deadline; the digest counts open requests."""

import time
from datetime import UTC, datetime, timedelta

from commands import actions
from commands.alerts import digest_content
from orderbot.autopilot import build_outbox
from sync.alerts import load_digest
from sync.clock import as_utc
from tests.utils.catalog import unique_skus
from tests.utils.ids import ADMIN
from tests.utils.slack_messages import alerts, button_ids, words


def key_of(message) -> str:
    return ((message.metadata or {}).get("event_payload") or {}).get("key", "")


def about(slack_api, prefix: str) -> list:
    return [m for m in alerts(slack_api) if key_of(m).startswith(prefix)]


def open_refund(core, shops) -> tuple[str, str]:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id, int(time.time()) - 60)
    core.services.engine.fetch()
    request_id = shops.tiktok.open_return(order_id, "REFUND")["return_id"]
    core.services.engine.fetch()
    return order_id, request_id


def test_a_request_is_alerted_once_and_updated_in_place_when_answered(
    core, shops, poster, slack_api
):
    order_id, request_id = open_refund(core, shops)
    outbox = build_outbox(core.services, poster)

    outbox.dispatch()
    outbox.dispatch()

    (message,) = about(slack_api, f"request:{request_id}")
    text = words(message)
    assert request_id in text and order_id in text and "Answer by" in text
    assert "TikTok approves it by itself" in text
    assert " left)" not in text  # a time left would go stale in a message that stays up
    assert button_ids(message)[:2] == [actions.RETURN_APPROVE, actions.RETURN_REJECT_START]

    core.services.engine.approve_request(request_id, actor=ADMIN)
    outbox.dispatch()

    (message,) = about(slack_api, f"request:{request_id}")
    assert message.edits == 1
    assert "refunded" in words(message) and f"<@{ADMIN}>" in words(message)
    assert actions.RETURN_APPROVE not in button_ids(message)


def test_a_reminder_is_its_own_message_six_hours_before_the_deadline(
    core, shops, poster, slack_api
):
    _, request_id = open_refund(core, shops)
    outbox = build_outbox(core.services, poster)
    deadline = as_utc(core.services.engine.request(request_id).deadline)

    outbox.dispatch(now=deadline - timedelta(hours=7))
    assert about(slack_api, "request_reminder:") == []

    outbox.dispatch(now=deadline - timedelta(hours=5, minutes=59))
    outbox.dispatch(now=deadline - timedelta(hours=5))

    (reminder,) = about(slack_api, "request_reminder:")
    assert request_id in words(reminder) and "left" in words(reminder)
    assert actions.RETURN_APPROVE in button_ids(reminder)
    assert len(about(slack_api, f"request:{request_id}")) == 1


def test_no_reminder_once_the_request_is_answered(core, shops, poster, slack_api):
    _, request_id = open_refund(core, shops)
    deadline = as_utc(core.services.engine.request(request_id).deadline)
    core.services.engine.approve_request(request_id, actor=ADMIN)

    build_outbox(core.services, poster).dispatch(now=deadline - timedelta(hours=1))

    assert about(slack_api, "request_reminder:") == []


def test_the_digest_counts_open_requests(core, shops):
    open_refund(core, shops)
    open_refund(core, shops)
    with core.services.sessions() as session:
        view = load_digest(session, shop_id=core.services.shop_id, now=datetime.now(UTC), zone=UTC)
    assert view.open_requests == 2
    reply = digest_content(view)
    assert any("Open return, refund and cancellation requests: 2" in str(b) for b in reply.blocks)
