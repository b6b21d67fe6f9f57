"""Channel alerts: which are due (`selection`), what each shows (`views`), and posting each once
and keeping it up to date (`outbox`). Kinds and states are `storage.states.AlertKind` and
`AlertState`. What an alert says is `commands.alerts`; how it reaches Slack is `bot.alerts`.
"""

from storage.states import AlertKind, AlertState
from sync.alerts.outbox import (
    DispatchReport,
    Handled,
    Outbox,
    Poster,
    PostRefused,
    fingerprint,
    mark_handled,
)
from sync.alerts.selection import (
    ORDER_KINDS,
    SHOWN,
    AlertRules,
    Due,
    Plan,
    batch_key,
    claim_batch,
    claim_digest,
    claim_members,
    claim_single,
    event_due,
    key_for,
    plan_new_orders,
    select_due,
    subject_of,
)
from sync.alerts.views import (
    AlertView,
    DigestView,
    Summary,
    digest_day,
    load_digest,
    load_summary,
    load_view,
)

__all__ = [
    "ORDER_KINDS",
    "SHOWN",
    "AlertKind",
    "AlertRules",
    "AlertState",
    "AlertView",
    "DigestView",
    "DispatchReport",
    "Due",
    "Handled",
    "Outbox",
    "Plan",
    "PostRefused",
    "Poster",
    "Summary",
    "batch_key",
    "claim_batch",
    "claim_digest",
    "claim_members",
    "claim_single",
    "digest_day",
    "event_due",
    "fingerprint",
    "key_for",
    "load_digest",
    "load_summary",
    "load_view",
    "mark_handled",
    "plan_new_orders",
    "select_due",
    "subject_of",
]
