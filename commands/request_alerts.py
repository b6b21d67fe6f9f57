"""What a request alert says (SPEC §4.2): the request when it opens, with its deadline and
Approve / Reject… buttons (Restock once a returned parcel is back), updated in place as it is
answered; and the reminder when its deadline is near."""

from commands import actions, request_views, words
from commands.alert_layout import alert
from commands.replies import Button, Byline, Heading, KeyValues, Paragraph, Reply
from storage.states import AlertKind
from sync.alerts import AlertView


def content_of(view: AlertView) -> Reply:
    row = view.request
    if row is None:
        text = "This alert's request is no longer known."
        return alert(text, (Paragraph(text),))
    kind = words.request_kind(row.kind)
    view_button = Button("View order", actions.VIEW_ORDER, row.tiktok_order_id)
    buttons = (*request_views.buttons(row), view_button)
    # Who answered is its byline (a mention), not a fact.
    # The time left only on the reminder: the opened alert stays up for days, its deadline does
    # not move.
    now = view.now if view.kind == AlertKind.REQUEST_REMINDER else None
    facts = tuple(item for item in request_views.facts(row, now) if item[0] != "Answered")
    bylines = []
    if row.answer and row.answered_by:
        bylines.append(Byline(f"{row.answer[:1].upper()}{row.answer[1:]} by ", row.answered_by))
    if row.restock_at is not None and row.restock_by:
        bylines.append(Byline("Restock asked by ", row.restock_by))
    if view.kind == AlertKind.REQUEST_REMINDER:
        still = request_views.buttons(row)
        title = f"{kind} request {row.request_id}: answer by {request_views.when(row.deadline)}"
        if not still:
            title = f"{kind} request {row.request_id}: {request_views.status(row)}"
        text = (
            f"{title} — TikTok approves it by itself after that"
            if still
            else f"{title} (it no longer waits for you)"
        )
        return alert(text, (Heading(title), KeyValues(facts)), bylines, buttons)
    title = f"{kind} request {row.request_id} on order {row.tiktok_order_id}"
    text = f"{title}: {request_views.amount(row)}, {request_views.status(row)}" + (
        f", answer by {request_views.when(row.deadline)}" if row.is_open and row.deadline else ""
    )
    return alert(text, (Heading(title), KeyValues(facts)), bylines, buttons)
