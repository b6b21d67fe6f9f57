"""Each grid row carries its order's actions, read back as the commands they stand for."""

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.interactions import command_for
from commands.replies import Table
from commands.types import Cancel, Retry, Ship, Show, Status
from tests.utils.catalog import stock

GUEST = Actor("U0GUEST", is_admin=False)


def test_every_row_offers_view_and_what_fits_its_order(core, shops):
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    placed = shops.tiktok.add_order(skus=[sku])["id"]
    failed = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    shipped = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    core.services.engine.fetch()

    (grid,) = [
        b
        for b in execute(Status(None), Context(core.services, GUEST)).blocks
        if isinstance(b, Table)
    ]

    assert len(grid.menus) == len(grid.rows)
    menus = {row[0]: menu for row, menu in zip(grid.rows, grid.menus, strict=True)}
    chosen = {
        order_id: [command_for(item.action_id, item.value) for item in menu]
        for order_id, menu in menus.items()
    }
    assert chosen[placed] == [Show(placed), Ship(placed), Cancel(placed)]
    assert chosen[failed] == [Show(failed), Ship(failed), Cancel(failed), Retry(failed)]
    assert chosen[shipped] == [Show(shipped)]  # shipped: TikTok lets no seller cancel it
    assert [item.label for item in menus[failed]] == [
        "View",
        "Ship…",
        "Cancel…",
        "Retry placement",
    ]
    assert {item.action_id for menu in grid.menus for item in menu} == {actions.ROW_MENU}


def test_a_row_menu_value_stands_only_for_what_a_row_offers():
    oid = "576460000000000001"
    assert command_for(actions.ROW_MENU, f"{actions.CANCEL_START}|{oid}") == Cancel(oid)
    for value in (
        f"{actions.RESTOCK}|{oid}",
        f"{actions.ROW_MENU}|{actions.VIEW_ORDER}|{oid}",
        oid,
        "",
    ):
        assert command_for(actions.ROW_MENU, value) is None
