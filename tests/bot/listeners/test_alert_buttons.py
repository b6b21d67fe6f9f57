"""The buttons on alerts, clicked through the production Bolt app (signed requests): admins
only, each done once however often clicked, and the alert updated in place."""

import time

from commands import actions
from storage import queries
from storage.states import AlertState
from tests.utils.catalog import stock, unique_skus
from tests.utils.ids import ADMIN, ALERT_CHANNEL, GUEST
from tests.utils.slack_messages import alerts, button_ids, words
from tests.utils.slack_requests import Answer, SlackRequests, block_action


def click(base_url: str, action_id: str, value: str, *, user, response_url, ts) -> Answer:
    """A signed click on a button of the alert `ts`, in the alert channel."""
    body = block_action(
        action_id,
        value,
        user=user,
        response_url=response_url,
        is_ephemeral=False,
        channel=ALERT_CHANNEL,
        ts=ts,
    )
    with SlackRequests(base_url) as slack:
        return slack.post(body)


def delivery_failure(core, shops, pilot, slack_api, sku: str) -> tuple[str, object]:
    """An order of two units, placed, then lost in transit: its alert, posted."""
    order_id = shops.tiktok.add_order(skus=[sku, sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    shops.tiktok.system_cancel(order_id, "package_lost")
    engine.refresh_orders([order_id])
    report = pilot.outbox.dispatch()
    assert f"delivery_failed:{order_id}" in report.posted
    return order_id, next(m for m in alerts(slack_api) if m.text.startswith("Delivery failed"))


def replies(slack_api, key: str, count: int = 1) -> list[dict]:
    return slack_api.wait_for(
        lambda: len(slack_api.responses(key)) >= count and slack_api.responses(key)
    )


def state_of(core, key: str):
    with core.services.sessions() as session:
        return queries.alert_by_key(session, key=key)


def test_mark_handled_is_for_admins_done_once_and_shown_in_place(
    core, shops, http_runner, pilot, slack_api
):
    (sku,) = unique_skus(shops, 1)
    order_id, alert = delivery_failure(core, shops, pilot, slack_api, sku)
    key = f"delivery_failed:{order_id}"

    refused = click(
        http_runner.url,
        actions.MARK_HANDLED,
        key,
        user=GUEST,
        response_url=slack_api.response_url("g"),
        ts=alert.ts,
    )
    assert refused.status == 200
    (answer,) = replies(slack_api, "g")
    assert answer["response_type"] == "ephemeral" and "Only orderbot admins" in str(answer)
    assert state_of(core, key).state == AlertState.POSTED

    done = click(
        http_runner.url,
        actions.MARK_HANDLED,
        key,
        user=ADMIN,
        response_url=slack_api.response_url("a"),
        ts=alert.ts,
    )
    assert done.status == 200
    (answer,) = replies(slack_api, "a")
    assert "marked the alert" in str(answer).lower()
    (update,) = slack_api.wait_for(lambda: slack_api.calls("chat.update"))
    assert update.body["ts"] == alert.ts
    handled = next(m for m in alerts(slack_api) if m.ts == alert.ts)
    assert f"Handled by <@{ADMIN}>" in words(handled)
    assert button_ids(handled) == [actions.VIEW_ORDER]
    row = state_of(core, key)
    assert (row.state, row.handled_by) == (AlertState.HANDLED, ADMIN)

    click(
        http_runner.url,
        actions.MARK_HANDLED,
        key,
        user=ADMIN,
        response_url=slack_api.response_url("b"),
        ts=alert.ts,
    )
    (again,) = replies(slack_api, "b")
    assert f"already marked handled by {ADMIN}" in str(again)
    assert len(slack_api.calls("chat.update")) == 1
    assert pilot.outbox.dispatch().updated == []  # nothing changed since


def test_restock_from_the_alert_gives_the_units_back_once(
    core, shops, http_runner, pilot, slack_api
):
    (sku,) = unique_skus(shops, 1)
    before = stock(shops, sku)
    order_id, alert = delivery_failure(core, shops, pilot, slack_api, sku)
    assert stock(shops, sku) == before - 2  # still reserved: the parcel is not back yet

    click(
        http_runner.url,
        actions.RESTOCK,
        order_id,
        user=GUEST,
        response_url=slack_api.response_url("g"),
        ts=alert.ts,
    )
    assert "only orderbot admins" in str(replies(slack_api, "g")).lower()
    for key in ("r1", "r2"):
        click(
            http_runner.url,
            actions.RESTOCK,
            order_id,
            user=ADMIN,
            response_url=slack_api.response_url(key),
            ts=alert.ts,
        )
        replies(slack_api, key)
    assert stock(shops, sku) == before  # given back once, for two clicks
    report = pilot.outbox.dispatch()
    assert f"delivery_failed:{order_id}" in report.updated
    restocked = next(m for m in alerts(slack_api) if m.ts == alert.ts)
    assert f"given back: {sku} ×2" in words(restocked)
    assert f"Restock asked by <@{ADMIN}>" in words(restocked)
    assert actions.RESTOCK not in button_ids(restocked)


def test_view_all_lists_every_order_of_a_summary(core, shops, http_runner, pilot, slack_api):
    skus = unique_skus(shops, 2)
    ids = [shops.tiktok.add_order(skus=[skus[i % 2]])["id"] for i in range(6)]
    core.services.engine.fetch()
    (key,) = pilot.outbox.dispatch().posted
    (summary,) = alerts(slack_api)

    click(
        http_runner.url,
        actions.VIEW_ALL_NEW,
        key,
        user=GUEST,
        response_url=slack_api.response_url("v"),
        ts=summary.ts,
    )

    (answer,) = replies(slack_api, "v")
    assert answer["response_type"] == "ephemeral"
    assert all(order_id in str(answer) for order_id in ids)


# A failure group: Retry all for admins only, once however often clicked, the group's message
# updated in place; View all for anyone, privately.


def test_retry_all_and_view_all_from_the_group_alert(core, shops, http_runner, pilot, slack_api):
    ids = [shops.tiktok.add_order(skus=["PIN-SOLDOUT"])["id"] for _ in range(3)]
    core.services.engine.fetch()
    (key,) = pilot.outbox.dispatch().posted
    (group,) = alerts(slack_api)
    assert group.text == "3 orders could not be placed: not enough Etsy stock of PIN-SOLDOUT"
    assert button_ids(group) == [actions.RETRY_ALL, actions.VIEW_ALL_FAILED]

    def press(action_id: str, user: str, reply_key: str) -> dict:
        answer = click(
            http_runner.url,
            action_id,
            key,
            user=user,
            response_url=slack_api.response_url(reply_key),
            ts=group.ts,
        )
        assert answer.status == 200
        (reply,) = replies(slack_api, reply_key)
        return reply

    refused = press(actions.RETRY_ALL, GUEST, "g")
    assert "Only orderbot admins can retry placements" in str(refused)
    listed = press(actions.VIEW_ALL_FAILED, GUEST, "v")
    assert listed["response_type"] == "ephemeral" and all(i in str(listed) for i in ids)

    listing = next(k[0] for k in shops.etsy.quantities() if k[1] == "PIN-SOLDOUT")
    shops.etsy.set_quantity(listing, "PIN-SOLDOUT", 10)  # restocked on Etsy
    done = press(actions.RETRY_ALL, ADMIN, "a")
    again = press(actions.RETRY_ALL, ADMIN, "b")

    assert "Retried 3 orders: 3 placed, 0 still failed." in str(done)
    assert "fails any more" in str(again)
    assert stock(shops, "PIN-SOLDOUT") == 7  # each order's unit taken once
    (update,) = slack_api.wait_for(lambda: slack_api.calls("chat.update"))
    assert update.body["ts"] == group.ts
    (shown,) = [m for m in alerts(slack_api) if m.ts == group.ts]
    assert "None of the 3 fails any more." in str(shown.blocks)
    assert button_ids(shown) == [actions.VIEW_ALL_FAILED]
    assert len(alerts(slack_api)) == 1  # fixed in place: no new message


# A return, refund or buyer cancellation request: Approve and Reject… for admins only, the
# answer sent to TikTok once however often clicked, the alert updated in place.


def request_alert(core, shops, pilot, slack_api, kind: str) -> tuple[str, object]:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id, int(time.time()) - 60)
    core.services.engine.fetch()
    request_id = shops.tiktok.open_return(order_id, kind)["return_id"]
    core.services.engine.fetch()
    assert f"request:{request_id}" in pilot.outbox.dispatch().posted
    return request_id, next(m for m in alerts(slack_api) if request_id in m.text)


def test_approve_from_the_request_alert_answers_tiktok_once(
    core, shops, http_runner, pilot, slack_api
):
    request_id, alert = request_alert(core, shops, pilot, slack_api, "REFUND")
    assert button_ids(alert)[:2] == [actions.RETURN_APPROVE, actions.RETURN_REJECT_START]
    shops.tiktok.reset_calls()

    click(
        http_runner.url,
        actions.RETURN_APPROVE,
        request_id,
        user=GUEST,
        response_url=slack_api.response_url("g"),
        ts=alert.ts,
    )
    assert "Only orderbot admins can answer returns" in str(replies(slack_api, "g"))
    for key in ("a1", "a2"):
        click(
            http_runner.url,
            actions.RETURN_APPROVE,
            request_id,
            user=ADMIN,
            response_url=slack_api.response_url(key),
            ts=alert.ts,
        )
        replies(slack_api, key)

    approvals = [c for c in shops.tiktok.calls if c.path.endswith("/approve")]
    assert len(approvals) == 1 and approvals[0].query["idempotency_key"]
    assert "not waiting for your answer" in str(slack_api.responses("a2"))
    slack_api.wait_for(lambda: slack_api.calls("chat.update"))
    answered = next(m for m in alerts(slack_api) if m.ts == alert.ts)
    assert f"Approved by <@{ADMIN}>" in words(answered)
    assert actions.RETURN_APPROVE not in button_ids(answered)


def test_reject_from_the_request_alert_opens_tiktoks_reasons(
    core, shops, http_runner, pilot, slack_api
):
    request_id, alert = request_alert(core, shops, pilot, slack_api, "RETURN_AND_REFUND")

    click(
        http_runner.url,
        actions.RETURN_REJECT_START,
        request_id,
        user=ADMIN,
        response_url=slack_api.response_url("r"),
        ts=alert.ts,
    )

    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (modal,) = slack_api.views()
    assert modal["callback_id"] == actions.RETURN_REJECT_FORM
    assert modal["private_metadata"] == request_id
    assert "seller_reject_apply_item_is_correct" in str(modal["blocks"])
    assert not [c for c in shops.tiktok.calls if c.path.endswith("/reject")]
