"""A failure group's buttons clicked through the production Bolt app (signed requests): Retry
all for admins only, once however often clicked, the group's message updated in place; View all
for anyone, privately."""

from autopilot_kit import ADMIN, GUEST, alerts, button_ids, click
from support import stock

from commands import actions


def replies(slack_api, key: str) -> list[dict]:
    return slack_api.wait_for(lambda: slack_api.responses(key))


def test_retry_all_and_view_all_from_the_group_alert(core, shops, served, pilot, slack_api):
    ids = [shops.tiktok.add_order(skus=["PIN-SOLDOUT"])["id"] for _ in range(3)]
    core.services.engine.fetch()
    (key,) = pilot.outbox.dispatch().posted
    (group,) = alerts(slack_api)
    assert group.text == "3 orders could not be placed: not enough Etsy stock of PIN-SOLDOUT"
    assert button_ids(group) == [actions.RETRY_ALL, actions.VIEW_ALL_FAILED]

    def press(action_id: str, user: str, reply_key: str) -> dict:
        answer = click(
            served.url,
            action_id,
            key,
            user=user,
            response_url=slack_api.response_url(reply_key),
            ts=group.ts,
        )
        assert answer.status_code == 200
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

    assert "Retried 3 order(s): 3 placed, 0 still failed." in str(done)
    assert "fails any more" in str(again)
    assert stock(shops, "PIN-SOLDOUT") == 7  # each order's unit taken once
    (update,) = slack_api.wait_for(lambda: slack_api.calls("chat.update"))
    assert update.body["ts"] == group.ts
    (shown,) = [m for m in alerts(slack_api) if m.ts == group.ts]
    assert "None of the 3 fails any more." in str(shown.blocks)
    assert button_ids(shown) == [actions.VIEW_ALL_FAILED]
    assert len(alerts(slack_api)) == 1  # fixed in place: no new message
