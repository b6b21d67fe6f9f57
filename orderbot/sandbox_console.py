"""`sandbox …` in the demo console: move an order along in the sandbox TikTok Shop, as its
simulation controls (`POST /_sandbox/orders/{id}/…`, sandbox/tiktok/controls.py) do, and watch
orderbot follow (TikTok's webhook reaches it, alerts print as `[alert n]`)."""

from collections.abc import Callable
from dataclasses import dataclass

from commands import words
from commands.execute import refuse
from commands.replies import Heading, KeyValues, Paragraph, Reply
from sandbox.tiktok import TikTokSandbox


@dataclass(frozen=True)
class Control:
    does: str  # what happens on TikTok, for the list
    run: Callable[[TikTokSandbox, str], dict]


CONTROLS = {
    "advance": Control(
        "the order's next TikTok status (shipped, in transit, delivered, completed)",
        lambda tiktok, oid: tiktok.advance(oid),
    ),
    "scan": Control(
        "the carrier collects a shipped parcel: Awaiting Collection → In Transit",
        lambda tiktok, oid: tiktok.carrier_scan(oid),
    ),
    "deliver": Control("the parcel is delivered", lambda tiktok, oid: tiktok.deliver(oid)),
    "buyer-cancel": Control(
        "the buyer cancels an order not yet shipped (its Etsy stock comes back)",
        lambda tiktok, oid: tiktok.buyer_cancel(oid),
    ),
    "lost": Control(
        "TikTok cancels a shipped order, package lost: a failed delivery (Restock on Etsy)",
        lambda tiktok, oid: tiktok.system_cancel(oid, "package_lost"),
    ),
    "refused": Control(
        "TikTok cancels a shipped order, returned to sender: a failed delivery",
        lambda tiktok, oid: tiktok.system_cancel(oid, "returned_to_shipper_refused"),
    ),
    # Returns, refunds and buyer cancellation requests (SPEC §4.2).
    "refund": Control(
        "the buyer asks for a refund of a delivered order (48 h to answer)",
        lambda tiktok, oid: tiktok.open_return(oid, "REFUND"),
    ),
    "return": Control(
        "the buyer asks to send a delivered order back for a refund",
        lambda tiktok, oid: tiktok.open_return(oid, "RETURN_AND_REFUND"),
    ),
    "send-back": Control(
        "the buyer sends an approved return back",
        lambda tiktok, oid: tiktok.return_shipped(_latest_return(tiktok, oid)),
    ),
    "receive": Control(
        "the returned parcel reaches you (Restock on Etsy appears)",
        lambda tiktok, oid: tiktok.return_received(_latest_return(tiktok, oid)),
    ),
    "cancel-request": Control(
        "the buyer asks to cancel an order not yet shipped (48 h to answer)",
        lambda tiktok, oid: tiktok.buyer_cancel(oid, pending=True),
    ),
}


def _latest_return(tiktok: TikTokSandbox, order_id: str) -> str:
    found = [r for r in tiktok.returns() if r["order_id"] == order_id]
    if not found:
        raise ValueError(f"order {order_id} has no return request")
    return found[-1]["return_id"]


HELP = (("sandbox", "move orders along in the sandbox TikTok Shop (type sandbox for the list)"),)


def sandbox_commands(tiktok: TikTokSandbox) -> Callable[[str], Reply | None]:
    """The console's `sandbox …` commands against this emulator."""

    def answer(text: str) -> Reply | None:
        parts = text.split()
        if not parts or parts[0].lower() != "sandbox":
            return None
        if len(parts) != 3 or parts[1].lower() not in CONTROLS:
            return _list()
        verb, order_id = parts[1].lower(), parts[2]
        try:
            result = CONTROLS[verb].run(tiktok, order_id)
        except KeyError:
            return refuse(f"The sandbox TikTok Shop has no order {order_id}.")
        except ValueError as exc:
            return refuse(f"The sandbox TikTok Shop says: {exc}.")
        status = tiktok.order(order_id)["status"]
        what = result.get("cancel_reason_text") or result.get("cancel_reason") or ""
        now = words.tiktok_status(status) + (f" ({what})" if what and status == "CANCELLED" else "")
        text = (
            f"Sandbox TikTok Shop: order {order_id} is now {now}. TikTok's webhook tells "
            f"orderbot; see /orders show {order_id}."
        )
        return Reply(text=text, blocks=(Paragraph(text),))

    return answer


def _list() -> Reply:
    items = tuple((f"sandbox {verb} <order_id>", c.does) for verb, c in CONTROLS.items())
    return Reply(
        text="Sandbox controls",
        blocks=(
            Heading("Sandbox controls (the demo's TikTok Shop)"),
            KeyValues(items),
            Paragraph(
                "Each is one of the emulator's simulation controls (POST "
                "/_sandbox/orders/<order_id>/advance and the like; README lists them all)."
            ),
        ),
    )
