"""The SKU mapping form: submitting it records the mapping and retries what failed on it.

Its fields are checked as typed SKUs are (`commands.interactions`); a bad one is sent back.
"""

from bot.errors import guarded
from bot.listeners.run import ack_submission, run_submission

TITLE = "Map a SKU"


def map_sku_form_ack(ack, body, context) -> None:
    ack_submission(
        ack,
        body,
        context,
        title=TITLE,
        working=lambda mapping: f"Mapping {mapping.tiktok_sku} to {mapping.etsy_sku}…",
    )


@guarded
def map_sku_form_run(body, client, context) -> None:
    run_submission(body=body, client=client, context=context, title=TITLE)
