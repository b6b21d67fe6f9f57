"""Who may run which command (SPEC §4): the one list of what needs an orderbot admin.

Two callers ask `refusal`: the bot, in the ack, so a non-admin's request never reaches the core or
a marketplace; and `execute`, for every caller. Both read this list, so they cannot disagree.
"""

from collections.abc import Mapping
from types import MappingProxyType

from commands.context import Actor
from commands.replies import Reply
from commands.types import (
    Cancel,
    Command,
    Map,
    MarkHandled,
    Restock,
    Retry,
    RetryAll,
    ReturnApprove,
    ReturnReject,
    ReturnRestock,
    Ship,
    Unmap,
)

# Each admin-only command, with what it does in the words of the refusal.
ADMIN_ONLY: Mapping[type, str] = MappingProxyType(
    {
        Cancel: "cancel orders",
        Map: "map SKUs",
        Unmap: "remove SKU mappings",
        Retry: "retry placements",
        RetryAll: "retry placements",
        Restock: "restock orders",
        MarkHandled: "mark alerts handled",
        ReturnApprove: "answer returns and cancellation requests",
        ReturnReject: "answer returns and cancellation requests",
        ReturnRestock: "restock returns",
    }
)


# Commands the shippers (ORDERBOT_SHIPPERS) may run besides the admins: packers ship.
SHIPPERS_TOO: Mapping[type, str] = MappingProxyType({Ship: "ship orders"})


def refusal(command: Command | type, actor: Actor) -> Reply | None:
    """The answer instead of running `command` (or a command of that type), or None when
    `actor` may run it. The local CLI is trusted: it runs as the operator."""
    kind = command if isinstance(command, type) else type(command)
    if kind in SHIPPERS_TOO:
        if actor.is_admin or actor.is_shipper or actor.trusted:
            return None
        return Reply(
            text=f"Only orderbot admins and shippers can {SHIPPERS_TOO[kind]}. Nothing was "
            "changed; ask an admin to add you to ORDERBOT_SHIPPERS if you pack the parcels.",
            ok=False,
        )
    what = ADMIN_ONLY.get(kind)
    if what is None or actor.is_admin or actor.trusted:
        return None
    return Reply(
        text=f"Only orderbot admins can {what}. Nothing was changed; ask an admin if this "
        "needs doing.",
        ok=False,
    )
