"""The Map form's Etsy SKU field is an external select: the modal asks for it, and the app
answers Slack's signed block_suggestion requests from the stored index, in the ack."""

import itertools

from bot.render import form_modal, options
from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.types import Map
from tests.utils.ids import ADMIN, APP, GUEST, TEAM
from tests.utils.slack_requests import block_action

_seq = itertools.count(1)


def suggestion(value: str, *, user: str, view: dict) -> dict:
    """A block_suggestion as Slack sends it for an external select in a modal."""
    n = next(_seq)
    return {
        "type": "block_suggestion",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "container": {"type": "view", "view_id": view["id"]},
        "api_app_id": APP,
        "token": "verification-token-unused",
        "action_id": actions.ETSY_SKU_FIELD,
        "block_id": actions.ETSY_SKU_FIELD,
        "value": value,
        "team": {"id": TEAM, "domain": "sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {**view, "state": {"values": {}}, "hash": f"1700000300.{n}"},
    }


def map_form(slack, slack_api) -> dict:
    url = slack_api.response_url("map-form")
    slack.post(block_action(actions.MAP_SKU_START, "TT-SEARCH-1", user=ADMIN, response_url=url))
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    return view


def test_the_map_form_asks_for_the_etsy_sku_with_an_external_select(slack, slack_api):
    view = map_form(slack, slack_api)  # the Slack emulator checked it with slack_sdk's models
    (element,) = [
        block["element"] for block in view["blocks"] if block.get("block_id") == "etsy_sku"
    ]
    assert element["type"] == "external_select"
    assert element["action_id"] == actions.ETSY_SKU_FIELD and element["min_query_length"] == 1


def test_typing_in_it_gets_the_indexs_skus_in_the_ack(slack, slack_api, world):
    view = map_form(slack, slack_api)

    answer = slack.post(suggestion("tote", user=ADMIN, view=view))

    assert answer.status == 200
    (option,) = answer.json()["options"]
    assert option["value"] == "TOTE-CANVAS"
    assert option["text"]["type"] == "plain_text"  # shown literally: nothing in it is markup
    assert option["text"]["text"].startswith("TOTE-CANVAS · Canvas tote")
    everything = answer_of(slack, suggestion("-", user=ADMIN, view=view))
    assert 1 < len(everything) <= 100 and all(len(o["text"]["text"]) <= 75 for o in everything)


def test_a_non_admin_is_offered_nothing(slack, slack_api):
    view = map_form(slack, slack_api)
    assert answer_of(slack, suggestion("tote", user=GUEST, view=view)) == []


def answer_of(slack, body) -> list:
    answer = slack.post(body)
    assert answer.status == 200
    return answer.json()["options"]


def test_the_answer_is_cut_to_slacks_limits():
    many = tuple((f"SKU-{n}", f"SKU-{n} · <b>{'x' * 100}</b>") for n in range(150))
    too_long = ("L" * 151, "a SKU longer than an option value may be")
    answer = options((too_long, *many))["options"]
    assert len(answer) == 100 and answer[0]["value"] == "SKU-0"
    assert all(len(o["text"]["text"]) <= 75 for o in answer)
    assert answer[0]["text"]["text"].startswith("SKU-0 · <b>x")  # plain text, kept literal


def test_the_form_renders_the_same_from_the_core(world):
    form = execute(Map("TT-SEARCH-2"), Context(world.services, Actor(ADMIN, True))).form
    blocks = form_modal(form)["blocks"]
    assert [b["element"]["type"] for b in blocks if b["type"] == "input"] == [
        "plain_text_input",
        "external_select",
    ]
