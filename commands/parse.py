"""`/orders …` text, exactly as typed in Slack (or given to `orderbot exec`), to a typed command.

Everything wrong with the text becomes an `Invalid` whose message says what would work. Messages
are plain text; user input is echoed only truncated, and the renderers escape it.
"""

import re
import unicodedata
from collections.abc import Callable

from commands.types import (
    Cancel,
    Command,
    Due,
    Fetch,
    Help,
    Invalid,
    Map,
    Mappings,
    Retry,
    ReturnApprove,
    ReturnReject,
    Returns,
    Ship,
    Show,
    Status,
    Stock,
    Unmap,
)
from sync.sections import ALL, VALID_SLUGS, Section, parse_slug

MAX_TEXT = 3000  # longer text is a paste, not a command: refused without echoing it
MAX_ORDER_ID_DIGITS = 24  # TikTok's are 18 digits; room for growth, not for garbage
MAX_SKU = 200
MAX_PAGE = 10_000
EXAMPLE_ID = "576460000000000001"  # the first order of the demo's sandbox shop
EXAMPLE_NOTE = (
    f"Order {EXAMPLE_ID} in the examples is an order of the demo shop (orderbot demo); "
    "elsewhere use an order id of your own (18 digits, as TikTok Shop shows it)."
)

# (name, syntax, what it does, example or "")
_SUBCOMMANDS = (
    ("help", "/orders help", "this list of commands", ""),
    (
        "fetch",
        "/orders fetch",
        "fetch new and changed TikTok orders now and place new ones on Etsy",
        "",
    ),
    (
        "status",
        "/orders status [section] [page]",
        "order counts per section, then one section's orders, page by page (sections: "
        + ", ".join(VALID_SLUGS)
        + ")",
        "/orders status failed 2",
    ),
    (
        "show",
        "/orders show <order_id>",
        "one order in full, with its history and buttons",
        f"/orders show {EXAMPLE_ID}",
    ),
    (
        "cancel",
        "/orders cancel <order_id> [reason]",
        "cancel on TikTok Shop and give the Etsy stock back; without a reason you pick one",
        f"/orders cancel {EXAMPLE_ID} out of stock",
    ),
    (
        "map",
        "/orders map <tiktok_sku> <etsy_sku>",
        "use this Etsy SKU for this TikTok SKU, then retry the orders that failed on it; "
        "/orders map alone lists the mappings",
        "/orders map TT-MUG-RED MUG-01-RED",
    ),
    (
        "unmap",
        "/orders unmap <tiktok_sku>",
        "remove a TikTok SKU's mapping",
        "/orders unmap TT-MUG-RED",
    ),
    (
        "retry",
        "/orders retry <order_id>",
        "try again to place an order that failed on Etsy",
        f"/orders retry {EXAMPLE_ID}",
    ),
    (
        "ship",
        "/orders ship <order_id> <carrier> <tracking_number>",
        "send the tracking number to TikTok Shop (the order moves to Awaiting Collection); "
        "without carrier and tracking number a form asks for them; the same command on a "
        "shipped order corrects its tracking (once, within 72 hours)",
        f"/orders ship {EXAMPLE_ID} usps 9400111899223456789012",
    ),
    (
        "due",
        "/orders due [page]",
        "orders still to ship, soonest ship-by time first, with the time left",
        "",
    ),
    (
        "stock",
        "/orders stock <sku>",
        "a SKU's quantity on Etsy and on TikTok, its listing and its last stock pushes",
        "/orders stock MUG-01-RED",
    ),
    # Returns, refunds and buyer cancellation requests (SPEC §4.2).
    (
        "returns",
        "/orders returns [page]",
        "open return, refund and buyer cancellation requests, soonest deadline first",
        "",
    ),
    (
        "return approve",
        "/orders return approve <id>",
        "approve a return, refund or buyer cancellation request on TikTok Shop",
        "/orders return approve 4035560000000000001",
    ),
    (
        "return reject",
        "/orders return reject <id> [reason]",
        "reject a return or refund request with one of TikTok's reasons; without one you pick",
        "/orders return reject 4035560000000000001 Item is correct",
    ),
)

USAGE: tuple[tuple[str, str], ...] = tuple(
    (syntax, f"{does}, e.g. {example}" if example else does)
    for _, syntax, does, example in _SUBCOMMANDS
)

_USAGE_LINE = {
    name: f"Usage: {syntax}" + (f", e.g. {example}" if example else "")
    for name, syntax, _, example in _SUBCOMMANDS
}

_QUOTES = "\"'`“”‘’„‚«»"
# Hyphens and dashes a keyboard or a phone may type for "-" (in-transit, on–hold).
_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))  # zero-width spaces, BOM; not ZWJ
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DIGITS = re.compile(r"[0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Slack sends &, < and > as entities; a <…> token is a mention, channel or link it made.
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def parse(text: str) -> Command:
    if len(text) > MAX_TEXT:
        return Invalid(f"That command is {len(text):,} characters long; the limit is {MAX_TEXT:,}.")
    bad = next((ch for ch in text if _is_control(ch)), None)
    if bad is not None:
        return Invalid(f"The command contains a control character (U+{ord(bad):04X}); retype it.")
    words = text.translate(_INVISIBLE).split()  # str.split also splits on NBSP and tabs
    if words and words[0].lower() in ("/orders", "orders"):  # typed with or without the slash
        words = words[1:]
    if not words:
        return Help()
    name, args = _unquote(words[0]).lower(), words[1:]
    handler = _HANDLERS.get(name)
    if handler is None:
        return Invalid(
            f"Unknown command {_echo(words[0])}. Commands: {', '.join(_HANDLERS)}. "
            "Try /orders help."
        )
    return handler(args)


def _help(args: list[str]) -> Command:
    return Help()  # `help cancel` and the like: the full list is short enough


def _fetch(args: list[str]) -> Command:
    if args:
        return Invalid(f"fetch takes no arguments. {_USAGE_LINE['fetch']}")
    return Fetch()


def status(args: list[str]) -> Command:
    """`status` with these words after it (also the reading of a paging button's value)."""
    if not args:
        return Status(None)
    words = [_unquote(word).translate(_DASHES) for word in args]
    whole = parse_slug(" ".join(words))
    if whole is not None:
        return Status(_section(whole))
    extra = _past_the_page(words)
    if extra:
        return Invalid(
            f"status takes a section and one page number; {_echo(extra)} is more than that. "
            f"{_USAGE_LINE['status']}"
        )
    slug_words, page_word = words[:-1], words[-1]
    if slug_words and slug_words[-1].lower() == "page":
        slug_words = slug_words[:-1]
    if not slug_words and _INTEGER.fullmatch(page_word):
        return _paged(None, page_word)
    head = parse_slug(" ".join(slug_words)) if slug_words else None
    if head is not None:
        return _paged(_section(head), page_word)
    return Invalid(f"Unknown section {_echo(' '.join(words))}. Sections: {', '.join(VALID_SLUGS)}.")


def _past_the_page(words: list[str]) -> str:
    """The words after a section (or none) and a page number, e.g. "3" in `all 2 3`."""
    for i, word in enumerate(words):
        if _INTEGER.fullmatch(word):
            head = words[:i]
            if head and head[-1].lower() == "page":
                head = head[:-1]
            if not head or parse_slug(" ".join(head)) is not None:
                return " ".join(words[i + 1 :])
            return ""
    return ""


def _section(slug: Section | str) -> Section | None:
    return None if slug == ALL else Section(slug)


def _paged(section: Section | None, word: str) -> Command:
    if _INTEGER.fullmatch(word) and 1 <= int(word) <= MAX_PAGE:
        return Status(section, int(word))
    return Invalid(
        f"Page {_echo(word)} is not a page number: use a whole number from 1 to {MAX_PAGE:,}. "
        f"{_USAGE_LINE['status']}"
    )


def _one_order(name: str, make: Callable[[str], Command]) -> Callable[[list[str]], Command]:
    def handler(args: list[str]) -> Command:
        if not args:
            return Invalid(f"{name} needs an order id. {_USAGE_LINE[name]}")
        order_id = _order_id(args[0])
        if isinstance(order_id, Invalid):
            return order_id
        if len(args) > 1:
            return Invalid(f"{name} takes one order id. {_USAGE_LINE[name]}")
        return make(order_id)

    return handler


def _cancel(args: list[str]) -> Command:
    if not args:
        return Invalid(f"cancel needs an order id. {_USAGE_LINE['cancel']}")
    order_id = _order_id(args[0])
    if isinstance(order_id, Invalid):
        return order_id
    reason = _unescape(_unquote(" ".join(args[1:])))
    return Cancel(order_id, reason or None)


def _map(args: list[str]) -> Command:
    if not args:
        return Mappings()
    if len(args) < 2:
        return Invalid(f"map needs a TikTok SKU and an Etsy SKU. {_USAGE_LINE['map']}")
    if len(args) > 2:
        return Invalid(
            f"map takes exactly two SKUs, and SKUs have no spaces; got {len(args)} words. "
            f"{_USAGE_LINE['map']}"
        )
    skus = [sku(word) for word in args]
    for checked in skus:
        if isinstance(checked, Invalid):
            return checked
    return Map(*skus)


def _unmap(args: list[str]) -> Command:
    if len(args) != 1:
        return Invalid(f"unmap takes one TikTok SKU. {_USAGE_LINE['unmap']}")
    checked = sku(args[0])
    return checked if isinstance(checked, Invalid) else Unmap(checked)


def _stock(args: list[str]) -> Command:
    if len(args) != 1:
        return Invalid(f"stock takes one SKU. {_USAGE_LINE['stock']}")
    checked = sku(args[0])
    return checked if isinstance(checked, Invalid) else Stock(checked)


def _ship(args: list[str]) -> Command:
    if not args:
        return Invalid(f"ship needs an order id. {_USAGE_LINE['ship']}")
    order_id = _order_id(args[0])
    if isinstance(order_id, Invalid):
        return order_id
    rest = [_unescape(_unquote(word)) for word in args[1:]]
    if not rest:
        return Ship(order_id)  # the form asks for carrier and tracking number
    if len(rest) == 1:
        return Invalid(
            f"ship needs the carrier and the tracking number, or neither (a form asks for "
            f"them). {_USAGE_LINE['ship']}"
        )
    if len(rest) > 2:
        return Invalid(
            "ship takes one carrier word and one tracking number (no spaces in it); got "
            f"{len(rest)} words after the order id. {_USAGE_LINE['ship']}"
        )
    carrier, tracking = rest
    if carrier.startswith("<") or tracking.startswith("<"):
        return Invalid("A Slack mention or link is not a carrier or tracking number.")
    return Ship(order_id, carrier, tracking)


def _due(args: list[str]) -> Command:
    if not args:
        return Due()
    if len(args) == 1 and _INTEGER.fullmatch(args[0]) and 1 <= int(args[0]) <= MAX_PAGE:
        return Due(int(args[0]))
    return Invalid(
        f"due takes one page number, from 1 to {MAX_PAGE:,}; got {_echo(' '.join(args))}. "
        f"{_USAGE_LINE['due']}"
    )


def _order_id(word: str) -> str | Invalid:
    order_id = _unquote(word).removeprefix("#")
    if not _DIGITS.fullmatch(order_id):
        return Invalid(
            f"{_echo(word)} is not a TikTok order id — they are all digits, e.g. {EXAMPLE_ID}."
        )
    if len(order_id) > MAX_ORDER_ID_DIGITS:
        return Invalid(
            f"{_echo(word)} is not a TikTok order id — it is {len(order_id)} digits long; "
            f"they are 18, e.g. {EXAMPLE_ID}."
        )
    return order_id


def sku(word: str) -> str | Invalid:
    """One SKU as the user gave it: a word of the text, or a form's field (whose value may hold
    anything, so spaces and control characters are refused here too)."""
    if word.startswith("<") and word.endswith(">"):
        return Invalid(f"{_echo(word)} is a Slack mention or link, not a SKU.")
    bad = next((ch for ch in word if _is_control(ch)), None)
    if bad is not None:
        return Invalid(f"The SKU contains a control character (U+{ord(bad):04X}); retype it.")
    value = _unescape(_unquote(word.translate(_INVISIBLE)))
    if not value:
        return Invalid(f"A SKU cannot be empty. {_USAGE_LINE['map']}")
    if any(ch.isspace() for ch in value):
        return Invalid(f"{_echo(value)} is not a SKU: SKUs have no spaces.")
    if len(value) > MAX_SKU:
        return Invalid(f"{_echo(value)} is too long for a SKU (limit {MAX_SKU} characters).")
    return value


def _unquote(word: str) -> str:
    """Drop one pair of quotes (straight, curly or backticks) around an argument."""
    if len(word) >= 2 and word[0] in _QUOTES and word[-1] in _QUOTES:
        return word[1:-1].strip()
    return word


def _unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _is_control(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r") or ch in _BIDI


def _echo(text: str, limit: int = 80) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'


# --- returns, refunds and buyer cancellation requests (SPEC §4.2) ---------------------------


def _returns(args: list[str]) -> Command:
    if not args:
        return Returns()
    if len(args) == 1 and _INTEGER.fullmatch(args[0]) and 1 <= int(args[0]) <= MAX_PAGE:
        return Returns(int(args[0]))
    return Invalid(f"returns takes one page number at most. {_USAGE_LINE['returns']}")


def _return(args: list[str]) -> Command:
    verb = _unquote(args[0]).lower() if args else ""
    if verb not in ("approve", "reject"):
        return Invalid(
            "return needs approve or reject, then a request id. "
            f"{_USAGE_LINE['return approve']}; {_USAGE_LINE['return reject']}"
        )
    usage = _USAGE_LINE[f"return {verb}"]
    if len(args) < 2:
        return Invalid(f"return {verb} needs a request id. {usage}")
    request_id = _unquote(args[1]).removeprefix("#")
    if not _DIGITS.fullmatch(request_id) or len(request_id) > MAX_ORDER_ID_DIGITS:
        return Invalid(
            f"{_echo(args[1])} is not a request id — they are all digits, as /orders returns "
            "shows them."
        )
    if verb == "approve":
        if len(args) > 2:
            return Invalid(f"return approve takes one request id. {usage}")
        return ReturnApprove(request_id)
    reason = _unescape(_unquote(" ".join(args[2:])))
    return ReturnReject(request_id, reason or None)


_HANDLERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _help,
    "fetch": _fetch,
    "status": status,
    "show": _one_order("show", Show),
    "cancel": _cancel,
    "map": _map,
    "retry": _one_order("retry", Retry),
    "unmap": _unmap,
    "stock": _stock,
    "returns": _returns,
    "return": _return,
    "ship": _ship,
    "due": _due,
}
