"""`/orders map` trusts only real SKUs (issue 15): a SKU on no listing, on several, or without
one stock level is refused with the nearest SKUs and nothing is saved; `map` alone lists the
mappings, page by page; `unmap` removes one; the Map form's search offers the index's SKUs."""

from datetime import timedelta

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.interactions import command_for
from commands.mappings import PAGE_SIZE, options
from commands.parse import parse
from commands.replies import Actions, Table
from storage import queries
from storage.db import transaction

ADMIN = Actor("U0ADMIN", is_admin=True)
GUEST = Actor("U0GUEST", is_admin=False)


def run(core, text, actor=ADMIN):
    return execute(parse(text), Context(core.services, actor, confirmed=True))


def mappings(core) -> dict[str, str]:
    with core.services.sessions() as session:
        return queries.sku_mappings(session, shop_id=core.services.shop_id)


def buttons(reply) -> list:
    return [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]


def test_a_sku_on_no_listing_is_refused_with_the_nearest_and_nothing_is_saved(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    core.services.engine.fetch()

    reply = run(core, "map TT-TOTE-CANVAS NOPE-SKU")

    assert not reply.ok
    assert reply.text.startswith("Not mapped: No Etsy listing of the shop has SKU NOPE-SKU.")
    assert mappings(core) == {}
    assert core.services.engine.order(order_id).failure_reason == "sku_unmatched"
    typo = run(core, "map TT-TOTE-CANVAS TOTE-CANVS")
    assert not typo.ok and "Nearest Etsy SKUs: TOTE-CANVAS" in typo.text
    assert mappings(core) == {}


def test_a_sku_on_several_listings_or_without_one_level_is_refused(core, shops):
    core.services.engine.fetch()
    on_two = shops.catalog.cases["ambiguous_listings"][0]
    uneven = shops.catalog.cases["ambiguous_quantities"][0]

    several = run(core, f"map TT-X {on_two}")
    levels = run(core, f"map TT-Y {uneven}")

    assert not several.ok and f"{on_two} is on more than one Etsy listing" in several.text
    assert not levels.ok and "with different quantities" in levels.text
    assert mappings(core) == {}


def test_mapping_forces_an_incremental_pass_before_it_checks(core, shops):
    core.services.engine.fetch()
    shops.etsy.reset_calls()

    reply = run(core, "map TT-TOTE-CANVAS TOTE-CANVAS")

    assert reply.ok and mappings(core) == {"TT-TOTE-CANVAS": "TOTE-CANVAS"}
    pages = [c for c in shops.etsy.calls if c.path.startswith("/v3/application/shops/")]
    assert {c.query["state"] for c in pages} == {"active", "sold_out", "inactive"}
    assert all(c.query["sort_on"] == "updated" for c in pages)


def test_map_alone_lists_the_mappings_page_by_page(core, shops):
    assert "No SKU mappings yet" in run(core, "map").text
    now = core.services.clock()
    with transaction(core.services.sessions) as session:
        for n in range(PAGE_SIZE + 5):
            queries.put_sku_mapping(
                session,
                shop_id=core.services.shop_id,
                tiktok_sku=f"TT-{n:03d}",
                etsy_sku=f"E-{n:03d}",
                actor="U0ADMIN",
                now=now - timedelta(minutes=n),
            )

    first = run(core, "map", GUEST)  # reading them is for everyone

    assert first.ok and first.text == f"SKU mappings: {PAGE_SIZE + 5} (page 1 of 2)"
    (table,) = [block for block in first.blocks if isinstance(block, Table)]
    assert table.rows[0][:3] == ("TT-000", "E-000", "U0ADMIN") and len(table.rows) == PAGE_SIZE
    (more,) = buttons(first)
    second = execute(command_for(more.action_id, more.value), Context(core.services, GUEST))
    (rest,) = [block for block in second.blocks if isinstance(block, Table)]
    assert [row[0] for row in rest.rows] == [f"TT-{n:03d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert [(b.label, b.value) for b in buttons(second)] == [("Previous", "1")]
    assert not execute(command_for(actions.MAPPINGS_PAGE, "3"), Context(core.services, GUEST)).ok


def test_unmap_removes_a_mapping_and_an_unknown_one_gets_a_clear_answer(core, shops):
    core.services.engine.fetch()
    assert run(core, "map TT-TOTE-CANVAS TOTE-CANVAS").ok

    refused = run(core, "unmap TT-TOTE-CANVAS", GUEST)
    assert not refused.ok and mappings(core) == {"TT-TOTE-CANVAS": "TOTE-CANVAS"}
    removed = run(core, "unmap TT-TOTE-CANVAS")
    assert removed.ok and "it was mapped to Etsy SKU TOTE-CANVAS" in removed.text
    assert mappings(core) == {}
    again = run(core, "unmap TT-TOTE-CANVAS")
    assert not again.ok
    assert again.text == (
        "No mapping for TikTok SKU TT-TOTE-CANVAS; /orders map lists the mappings."
    )


def test_the_map_forms_search_offers_mappable_skus_to_admins_only(core, shops):
    core.services.engine.fetch()
    admin, guest = Context(core.services, ADMIN), Context(core.services, GUEST)
    on_two = shops.catalog.cases["ambiguous_listings"][0]

    tote = options(actions.ETSY_SKU_FIELD, "tote-c", admin)
    everything = options(actions.ETSY_SKU_FIELD, "-", admin)

    assert [value for value, _ in tote] == ["TOTE-CANVAS"]
    assert tote[0][1].startswith("TOTE-CANVAS · Canvas tote (")
    assert on_two not in {value for value, _ in everything}  # it could not be mapped
    assert 0 < len(everything) <= 100
    assert options(actions.ETSY_SKU_FIELD, "tote", guest) == ()
    assert options("somewhere_else", "tote", admin) == ()
