"""The cancel form (private_metadata: the order id): submitting it cancels, confirmed.

The modal turns into a "working" screen at once and shows the outcome when the core is done.
"""

from bot.errors import guarded
from bot.listeners.run import ack_submission, run_submission

TITLE = "Cancel order"


def cancel_form_ack(ack, body, context) -> None:
    ack_submission(
        ack,
        body,
        context,
        title=TITLE,
        working=lambda cancel: f"Cancelling order {cancel.order_id}…",
    )


@guarded
def cancel_form_run(body, client, context) -> None:
    run_submission(body=body, client=client, context=context, title=TITLE)
