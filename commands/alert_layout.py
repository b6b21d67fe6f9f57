"""How every channel alert is laid out: its facts, then who changed things since, then its
buttons, in the one order every alert uses (what fixes it first, then Cancel…, Mark handled, and
View last)."""

from commands import actions
from commands.replies import Actions, Block, Button, Byline, Reply
from storage.states import FailureReason

MAP_BUTTONS = 3  # at most this many "Map <sku>…" buttons on one alert
_MAPPABLE = (FailureReason.SKU_UNMATCHED, FailureReason.SKU_AMBIGUOUS)
BUTTON_ORDER = (
    actions.SHIP_START,
    actions.RETURN_APPROVE,
    actions.RETURN_REJECT_START,
    actions.RETURN_RESTOCK,
    actions.RETRY_PLACEMENT,
    actions.RETRY_ALL,
    actions.MAP_SKU_START,
    actions.RESTOCK,
    actions.CANCEL_START,
    actions.MARK_HANDLED,
    actions.VIEW_ORDER,
    actions.VIEW_ALL_NEW,
    actions.VIEW_ALL_FAILED,
)


def alert(
    text: str,
    head: tuple[Block, ...],
    bylines: list[Byline] | tuple[Byline, ...] = (),
    buttons: tuple[Button, ...] = (),
) -> Reply:
    """One channel message: its facts, then who changed the order since, then its buttons."""
    ordered = in_order(buttons)
    blocks = (*head, *bylines, *((Actions(ordered),) if ordered else ()))
    return Reply(text=text, blocks=blocks, public=True)


def in_order(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    """The buttons in the one order every alert uses (a stable sort: Map buttons keep theirs)."""

    def rank(button: Button) -> int:
        known = button.action_id in BUTTON_ORDER
        return BUTTON_ORDER.index(button.action_id) if known else len(BUTTON_ORDER)

    return tuple(sorted(buttons, key=rank))


def map_buttons(reason: str | None, skus: tuple[str, ...]) -> tuple[Button, ...]:
    """One "Map <sku>…" per SKU that failed, when a mapping can fix the failure."""
    if reason not in _MAPPABLE:
        return ()
    return tuple(Button(f"Map {sku}…", actions.MAP_SKU_START, sku) for sku in skus[:MAP_BUTTONS])
