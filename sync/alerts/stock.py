"""Stock push alerts (SPEC §3.2), derived from stored state like the order alerts:

    stock_push_failed   a push TikTok did not take, once per run of failures of a SKU: keyed
                        by the push that began the run (`failures` 1)
    stock_unmatched     a live TikTok SKU the last push cycle could not match to one Etsy stock
                        level (on no listing, ambiguous): once per SKU, keyed by its sku id

The alert row keeps what it is about (the detail, the seller SKU): the push or the SKU may
change later, the news was what it was.
"""

import json
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import queries
from storage.models import Alert
from storage.states import AlertKind, AlertState
from sync.alerts.planning import Due

STOCK_KINDS = (AlertKind.STOCK_PUSH_FAILED, AlertKind.STOCK_UNMATCHED)
FAILED_WINDOW = timedelta(days=2)  # an older failure is history, not news
CANDIDATES = 200


def stock_due(session: Session, *, shop_id: int, now: datetime) -> list[Due]:
    due = [
        Due(
            AlertKind.STOCK_PUSH_FAILED,
            f"{AlertKind.STOCK_PUSH_FAILED}:{push.id}",
            None,
            "",
            skus=(push.seller_sku,),
            detail=f"{push.error or 'TikTok did not take it'} (wanted {push.quantity} units; "
            f"Etsy SKU {push.etsy_sku} has {push.etsy_quantity})",
        )
        for push in queries.first_failed_pushes(
            session, shop_id=shop_id, since=now - FAILED_WINDOW, limit=CANDIDATES
        )
    ]
    due += [
        Due(
            AlertKind.STOCK_UNMATCHED,
            f"{AlertKind.STOCK_UNMATCHED}:{sku.sku_id}",
            None,
            "",
            skus=(sku.seller_sku or sku.sku_id,),
            detail=sku.problem,
        )
        for sku in queries.unmatched_tiktok_skus(session, shop_id=shop_id, limit=CANDIDATES)
    ]
    told = queries.alert_keys_among(session, keys=[d.key for d in due])
    return [d for d in due if d.key not in told]


def claim_stock(due: Due, *, shop_id: int, now: datetime) -> Alert:
    return Alert(
        shop_id=shop_id,
        key=due.key,
        kind=due.kind,
        state=AlertState.POSTING,
        created_at=now,
        updated_at=now,
        failure_detail=due.detail,
        failed_skus=json.dumps(list(due.skus)),
    )
