"""SKU mappings as people see them: the list (`/orders map` alone), and the Etsy SKUs the Map
form's search offers (`options`)."""

from commands import actions, policy, views, words
from commands.context import Context
from commands.replies import Actions, Button, Paragraph, Reply, Table
from commands.types import Map, Mappings
from storage import queries

PAGE_SIZE = 25
MAX_OPTIONS = 100  # Slack's limit for an external select's answer
MAX_QUERY = 200  # a longer search text cannot be part of a SKU (their limit)


def mapping_list(command: Mappings, ctx: Context) -> Reply:
    services = ctx.services
    offset = (command.page - 1) * PAGE_SIZE
    with services.sessions() as session:
        rows, total = queries.sku_mapping_page(
            session, shop_id=services.shop_id, offset=offset, limit=PAGE_SIZE
        )
    if not total:
        text = (
            "No SKU mappings yet: TikTok SKUs are matched to the Etsy SKU of the same name. "
            "Map one with /orders map <tiktok_sku> <etsy_sku>."
        )
        return Reply(text=text, blocks=(Paragraph(text),))
    pages = -(-total // PAGE_SIZE)
    if not rows:
        return Reply(
            text=f"There are {words.plural(pages, 'page')} of mappings; page {command.page} "
            "is past the end.",
            ok=False,
        )
    text = f"SKU mappings: {total} (page {command.page} of {pages})"
    table = Table(
        ("TikTok SKU", "Etsy SKU", "Mapped by", "When"),
        tuple(
            (row.tiktok_sku, row.etsy_sku, row.created_by, views.when(row.created_at))
            for row in rows
        ),
    )
    blocks: list = [Paragraph(text), table]
    buttons = []
    if command.page > 1:
        buttons.append(Button("Previous", actions.MAPPINGS_PAGE, str(command.page - 1)))
    if command.page < pages:
        buttons.append(Button("Next", actions.MAPPINGS_PAGE, str(command.page + 1)))
    if buttons:
        blocks.append(Actions(tuple(buttons)))
    return Reply(text=text, blocks=tuple(blocks))


def options(field_id: str, query: str, ctx: Context) -> tuple[tuple[str, str], ...]:
    """(value, label) choices for a SearchField of ours as the user types `query`: for the
    Map form's Etsy SKU, the index's SKUs a mapping could use. Empty for an unknown field,
    and for a user who may not map (they are the shop's SKU list)."""
    if field_id != actions.ETSY_SKU_FIELD or policy.refusal(Map, ctx.actor) is not None:
        return ()
    found = ctx.services.engine.search_etsy_skus(query.strip()[:MAX_QUERY], MAX_OPTIONS)
    return tuple((sku, f"{sku} · {title} ({quantity} on Etsy)") for sku, title, quantity in found)
