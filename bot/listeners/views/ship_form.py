"""The Ship form (private_metadata: the order id): carrier, tracking number and, for a split
shipment, the items. A tracking number TikTok would refuse is sent back to fix
(`commands.interactions`); the outcome, TikTok's warning included, replaces the form."""

from bot.errors import guarded
from bot.listeners.run import ack_submission, run_submission

TITLE = "Ship order"


def ship_form_ack(ack, body, context) -> None:
    ack_submission(
        ack,
        body,
        context,
        title=TITLE,
        working=lambda ship: (
            f"Sending tracking {ship.tracking_number} for order {ship.order_id} to TikTok…"
        ),
    )


@guarded
def ship_form_run(body, client, context) -> None:
    run_submission(body=body, client=client, context=context, title=TITLE)
