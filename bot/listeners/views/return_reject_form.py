"""The reject form (private_metadata: the request id): submitting it rejects with the reason
picked from TikTok's for that request.

The modal turns into a "working" screen at once and shows the outcome when the core is done.
"""

from bot.errors import guarded
from bot.listeners.run import ack_submission, run_submission

TITLE = "Reject request"


def return_reject_form_ack(ack, body, context) -> None:
    ack_submission(
        ack,
        body,
        context,
        title=TITLE,
        working=lambda reject: f"Rejecting request {reject.request_id}…",
    )


@guarded
def return_reject_form_run(body, client, context) -> None:
    run_submission(body=body, client=client, context=context, title=TITLE)
