"""The App Home: counts per section, the last fetch, quick actions."""

from commands import actions, views
from commands.context import Context
from commands.replies import Actions, Button, Heading, KeyValues, Paragraph, Reply
from storage import queries
from sync.engine import FetchSummary
from sync.sections import Section


def home(ctx: Context) -> Reply:
    services = ctx.services
    with services.sessions() as session:
        counts = queries.section_counts(session, shop_id=services.shop_id)
        state = queries.last_fetch(session, shop_id=services.shop_id)
        quota = queries.etsy_quota(session, shop_id=services.shop_id)
        requests = queries.count_open_requests(session, shop_id=services.shop_id)
    facts = tuple((section.title, str(counts.get(section.value, 0))) for section in Section)
    if state is None or state.last_finished_at is None or not state.last_summary:
        last = "No fetch yet — press Fetch now."
    else:
        summary = FetchSummary.from_json(state.last_summary)
        outcome = f"stopped: {state.last_error}" if state.last_error else "ok"
        last = (
            f"{views.when(state.last_finished_at)} — {outcome}; {summary.new} new, "
            f"{summary.placed} placed, {sum(summary.failed.values())} failed"
        )
    buttons = [Button("Fetch now", actions.FETCH_NOW, "fetch", style="primary")]
    if counts.get(Section.FAILED.value):
        buttons.append(Button("Failed orders", actions.PAGE, "failed|1"))
    buttons.append(Button("Awaiting shipment", actions.PAGE, "awaiting-shipment|1"))
    if requests:  # returns, refunds and buyer cancellations waiting (SPEC §4.2)
        buttons.append(Button(f"Open requests ({requests})", actions.RETURNS_PAGE, "1"))
    return Reply(
        text="orderbot home",
        blocks=(
            Heading("Orders per section"),
            KeyValues(facts),
            Heading("Last fetch"),
            Paragraph(last),
            Paragraph(quota_text(quota)),
            Actions(tuple(buttons)),
        ),
    )


def quota_text(quota) -> str:
    """Etsy's daily quota as last seen (`queries.etsy_quota`), in words."""
    if quota is None:
        return "Etsy quota: not seen yet (it shows after the first Etsy call)."
    of = f" of {quota.limit_per_day:,}" if quota.limit_per_day is not None else ""
    return (
        f"Etsy quota: {quota.remaining_today:,}{of} calls left today "
        f"(as of {views.when(quota.seen_at)})."
    )
