"""Channel alerts: which are due (`selection`), how they go out (`planning`: summaries, failure
groups, so many a run), what each shows (`views`, `culprits`), and posting each once and keeping
it up to date (`outbox`, `cursor`); Mark handled (`handling`). Kinds and states are
`storage.states.AlertKind` and `AlertState`. What an alert says is `commands.alerts`; how it
reaches Slack is `bot.alerts`.
"""

from storage.states import AlertKind, AlertState
from sync.alerts.culprits import failing_skus
from sync.alerts.handling import Handled, mark_handled
from sync.alerts.outbox import (
    DispatchReport,
    HistoryBusy,
    HistoryUnavailable,
    Outbox,
    Poster,
    PostRefused,
    fingerprint,
)
from sync.alerts.planning import (
    Due,
    FailureGroup,
    Plan,
    group_failures,
    plan_new_orders,
    within_budget,
)
from sync.alerts.selection import (
    ORDER_KINDS,
    SHOWN,
    AlertRules,
    batch_key,
    claim_batch,
    claim_digest,
    claim_group,
    claim_members,
    claim_single,
    event_due,
    group_key,
    key_for,
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
    "FailureGroup",
    "Handled",
    "HistoryBusy",
    "HistoryUnavailable",
    "Outbox",
    "Plan",
    "PostRefused",
    "Poster",
    "Summary",
    "batch_key",
    "claim_batch",
    "claim_digest",
    "claim_group",
    "claim_members",
    "claim_single",
    "digest_day",
    "event_due",
    "failing_skus",
    "fingerprint",
    "group_failures",
    "group_key",
    "key_for",
    "load_digest",
    "load_summary",
    "load_view",
    "mark_handled",
    "plan_new_orders",
    "select_due",
    "subject_of",
    "within_budget",
]
