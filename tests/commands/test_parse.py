import pytest

from commands.parse import EXAMPLE_ID, MAX_TEXT, USAGE, parse
from commands.types import (
    Cancel,
    Due,
    Fetch,
    Help,
    Invalid,
    Map,
    Retry,
    ReturnApprove,
    ReturnReject,
    Returns,
    Ship,
    Show,
    Status,
)
from sync.sections import VALID_SLUGS, Section

ID = "576461413038785752"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   \t ", Help()),
        ("/orders", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("/orders help cancel", Help()),
        ("fetch", Fetch()),
        ("returns", Returns()),
        ("returns 3", Returns(3)),
        ("return approve 4035560000000000001", ReturnApprove("4035560000000000001")),
        ("return APPROVE #4035560000000000001", ReturnApprove("4035560000000000001")),
        ("return reject 4035560000000000001", ReturnReject("4035560000000000001")),
        (
            "return reject 4035560000000000001 Item is correct",
            ReturnReject("4035560000000000001", "Item is correct"),
        ),
        (
            "return reject 4035560000000000001 "
            "seller_reject_apply_need_to_apply_for_refund&amp;return",
            ReturnReject(
                "4035560000000000001", "seller_reject_apply_need_to_apply_for_refund&return"
            ),
        ),
        ("/ORDERS  Fetch ", Fetch()),
        ("status", Status(None)),
        ("status all", Status(None)),
        ("status ALL 3", Status(None, 3)),
        ("status 2", Status(None, 2)),
        ("status failed", Status(Section.FAILED)),
        ("status failed 2", Status(Section.FAILED, 2)),
        ("status failed page 2", Status(Section.FAILED, 2)),
        ("status Awaiting_Shipment", Status(Section.AWAITING_SHIPMENT)),
        ("status awaiting shipment 4", Status(Section.AWAITING_SHIPMENT, 4)),
        ("status shipping", Status(Section.AWAITING_SHIPMENT)),
        ("status in-transit", Status(Section.IN_TRANSIT)),
        ("status on hold", Status(Section.ON_HOLD)),
        ("status canceled", Status(Section.CANCELLED)),
        ("status “delivered”", Status(Section.DELIVERED)),
        ("\tStatus\u00a0completed\u00a0 7", Status(Section.COMPLETED, 7)),
        (f"show {ID}", Show(ID)),
        (f"/orders SHOW   {ID}  ", Show(ID)),
        (f"show #{ID}", Show(ID)),
        (f"show “{ID}”", Show(ID)),
        (f"show `{ID}`", Show(ID)),
        (f"show\u200b {ID}", Show(ID)),
        (f"retry {ID}", Retry(ID)),
        (f"cancel {ID}", Cancel(ID)),
        (f"cancel {ID} out of stock", Cancel(ID, "out of stock")),
        (f"cancel {ID}   ‘buyer   asked’", Cancel(ID, "buyer asked")),
        (
            f"cancel {ID} seller_cancel_reason_wrong_price",
            Cancel(ID, "seller_cancel_reason_wrong_price"),
        ),
        (f"cancel {ID} stock &amp; price", Cancel(ID, "stock & price")),
        (f"cancel {ID} ; DROP TABLE orders", Cancel(ID, "; DROP TABLE orders")),
        ("map TT-MUG-RED MUG-01-RED", Map("TT-MUG-RED", "MUG-01-RED")),
        ("MAP\ttt_1\u00a0\u00a0etsy_1", Map("tt_1", "etsy_1")),
        ("map “TT-1” 'E-1'", Map("TT-1", "E-1")),
        ("map 🍺-IPA ビール-1", Map("🍺-IPA", "ビール-1")),
        ("map 👨‍👩‍👧 Ünïcødé", Map("👨‍👩‍👧", "Ünïcødé")),
        ("map *bold* `code`", Map("*bold*", "code")),
        ("map A&amp;B X&lt;1&gt;", Map("A&B", "X<1>")),
        ("map 1;DROP orders", Map("1;DROP", "orders")),
    ],
)
def test_parses_to_command(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "frobnicate",
            ['Unknown command "frobnicate"', "help, fetch, status, show, cancel, map, retry"],
        ),
        ("fetch now please", ["fetch takes no arguments", "Usage: /orders fetch"]),
        ("status nowhere", ['Unknown section "nowhere"', ", ".join(VALID_SLUGS)]),
        ("status awaiting moon 2", ['Unknown section "awaiting moon 2"', "failed"]),
        ("status failed 0", ['Page "0" is not a page number', "from 1 to"]),
        ("status failed -1", ['Page "-1"']),
        ("status 0", ['Page "0"']),
        ("status failed two", ['Page "two"', "Usage: /orders status"]),
        ("status failed 99999999999", ['Page "99999999999"']),
        ("show", ["show needs an order id", "Usage: /orders show <order_id>", EXAMPLE_ID]),
        ("retry", ["retry needs an order id", "Usage: /orders retry"]),
        ("cancel", ["cancel needs an order id", "Usage: /orders cancel <order_id> [reason]"]),
        ("show abc", ['"abc" is not a TikTok order id', "all digits", EXAMPLE_ID]),
        ("show 5764-6141", ['"5764-6141" is not a TikTok order id']),
        ("show ١٢٣", ['"١٢٣" is not a TikTok order id']),  # non-ASCII digits
        ("show " + "9" * 30, ["is not a TikTok order id", "30 digits long"]),
        ("retry 123 456", ["retry takes one order id", "Usage: /orders retry"]),
        ("show 1; DROP TABLE orders", ['"1;" is not a TikTok order id']),
        ("cancel out of stock", ['"out" is not a TikTok order id']),
        ("show <!channel>", ['"<!channel>" is not a TikTok order id']),
        ("show <@U123>", ['"<@U123>" is not a TikTok order id']),
        ("show *576461413038785752*", ["is not a TikTok order id"]),
        ("map ONLY-ONE", ["map needs a TikTok SKU and an Etsy SKU"]),
        ("returns soon", ["returns takes one page number at most"]),
        ("return", ["return needs approve or reject"]),
        ("return refund 4035560000000000001", ["return needs approve or reject"]),
        ("return approve", ["return approve needs a request id"]),
        ("return approve r-1", ['"r-1" is not a request id']),
        ("return approve 1 2", ["return approve takes one request id"]),
        ("map my sku other", ["exactly two SKUs", "got 3 words"]),
        ("map <@U123> X", ['"<@U123>" is a Slack mention or link, not a SKU']),
        ("map X <!channel>", ['"<!channel>" is a Slack mention or link']),
        ("map X <https://evil.example|click>", ["is a Slack mention or link"]),
        ('map "" X', ["A SKU cannot be empty"]),
        ("map " + "S" * 201 + " X", ["too long for a SKU", "limit 200"]),
        ("map A\x07 B", ["control character (U+0007)"]),
        ("show \x1b[31m1", ["control character (U+001B)"]),
        ("map A\u202eB C", ["control character (U+202E)"]),
        ("x" * 4000, ["4,000 characters", "limit is 3,000"]),
    ],
)
def test_rejects_with_specific_message(text, fragments):
    command = parse(text)
    assert isinstance(command, Invalid)
    for fragment in fragments:
        assert fragment in command.message


def test_long_text_is_not_echoed():
    message = parse("show " + "A" * (MAX_TEXT + 10)).message
    assert "AAAA" not in message


def test_text_at_the_limit_is_parsed():
    assert parse("help" + " " * (MAX_TEXT - 4)) == Help()


@pytest.mark.parametrize(
    "text",
    ["show " + "x" * 500, "map <@" + "U" * 500 + "> X", "zz" + "y" * 500, "status " + "q" * 500],
)
def test_echoed_input_is_truncated(text):
    message = parse(text).message
    assert "…" in message
    assert len(message) < 250


def test_usage_covers_every_subcommand_with_examples():
    commands = [command for command, _ in USAGE]
    for name in ("help", "fetch", "status", "show", "cancel", "map", "retry"):
        assert any(command.startswith(f"/orders {name}") for command in commands)
    examples = " ".join(does for _, does in USAGE)
    assert f"e.g. /orders show {EXAMPLE_ID}" in examples
    assert "e.g. /orders status failed 2" in examples


@pytest.mark.parametrize("example", [d.split("e.g. ")[1] for _, d in USAGE if "e.g. " in d])
def test_usage_examples_parse(example):
    assert not isinstance(parse(example), Invalid)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"ship {ID}", Ship(ID)),
        (f"ship {ID} usps 9400111899223456789012", Ship(ID, "usps", "9400111899223456789012")),
        (f"/orders SHIP #{ID} “UPS” `1Z999AA10123456784`", Ship(ID, "UPS", "1Z999AA10123456784")),
        ("due", Due()),
        ("due 3", Due(3)),
    ],
)
def test_ship_and_due_read_as_typed(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ship", "ship needs an order id"),
        ("ship abc usps 1", "is not a TikTok order id"),
        (f"ship {ID} usps", "needs the carrier and the tracking number, or neither"),
        (f"ship {ID} ups mail innovations 92001", "one carrier word and one tracking number"),
        (f"ship {ID} <@U0ADMIN> 9400", "Slack mention or link"),
        ("due 0", "due takes one page number"),
        ("due soon", "due takes one page number"),
    ],
)
def test_bad_ship_and_due_text_says_what_would_work(text, message):
    command = parse(text)
    assert isinstance(command, Invalid) and message in command.message
