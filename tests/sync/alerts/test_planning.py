"""How what is due goes out (pure): failures grouped by what failed, at most so many messages a
run, and which SKUs a failure names."""

from storage.models import OrderLine
from storage.states import AlertKind
from sync.alerts import Due, FailureGroup, Plan, failing_skus, group_failures, within_budget

FAILED = AlertKind.PLACEMENT_FAILED
UNMATCHED = "sku_unmatched"


def failure(n: int, skus=("TT-MUG-BLUE",), reason=UNMATCHED, detail="why") -> Due:
    return Due(FAILED, f"{FAILED}:{n}", n, str(n), reason=reason, skus=tuple(skus), detail=detail)


def new(n: int) -> Due:
    return Due(AlertKind.NEW_ORDER, f"new_order:{n}", n, str(n))


def test_failures_on_one_reason_and_sku_make_one_group_and_a_lone_one_stays_single():
    mugs = [failure(i, detail=f"no Etsy listing has SKU TT-MUG-BLUE ({i})") for i in range(7)]
    other = failure(7, skus=("TT-HAT",))
    stock = failure(8, reason="insufficient_stock")  # same SKU, another reason

    groups, singles = group_failures([*mugs[:3], other, *mugs[3:], stock, new(9)])

    assert groups == (FailureGroup(UNMATCHED, ("TT-MUG-BLUE",), tuple(mugs)),)
    assert singles == (other, stock)


def test_failures_that_name_no_sku_are_grouped_by_their_detail():
    a, b = (
        failure(i, skus=(), reason="etsy_error", detail="listing 5 could not be read")
        for i in (1, 2)
    )
    c = failure(3, skus=(), reason="etsy_error", detail="listing 6 could not be read")
    groups, singles = group_failures([a, b, c])
    assert [g.members for g in groups] == [(a, b)] and singles == (c,)


def test_a_plan_within_its_budget_is_left_alone():
    plan = Plan(singles=(failure(1), new(2)), groups=())
    assert within_budget(plan, 10) is plan


def test_over_budget_new_orders_are_summarised_and_the_rest_waits_a_run():
    groups = tuple(
        FailureGroup(UNMATCHED, (f"S{i}",), (failure(i), failure(i + 100))) for i in range(4)
    )
    singles = tuple(failure(10 + i, skus=(f"X{i}",)) for i in range(5)) + (new(20), new(21))
    planned = within_budget(Plan(singles=singles, groups=groups), 6)

    assert planned.batch == (new(20), new(21))  # one summary instead of two singles
    assert planned.groups == groups and planned.singles == singles[:1]
    assert planned.messages == 6


def test_one_new_order_over_budget_stays_a_single_and_may_wait():
    singles = (failure(1, skus=("A",)), failure(2, skus=("B",)), new(3))
    planned = within_budget(Plan(singles=singles), 2)
    assert planned.batch == () and planned.singles == singles[:2]


def line(sku: str, n: int = 1) -> OrderLine:
    return OrderLine(id=n, order_id=1, tiktok_line_id=f"L{n}", sku_id=f"ID{n}", seller_sku=sku)


def test_the_skus_a_failure_names_are_its_culprits_and_others_are_not():
    lines = [line("RING-00012-RUS-GLO", 1), line("TT-GHOST-1", 2), line("TT-GHOST-10", 3)]
    assert failing_skus("no Etsy listing has SKU TT-GHOST-1", lines, {}) == ("TT-GHOST-1",)
    assert failing_skus("no Etsy listing has SKU TT-GHOST-1, TT-GHOST-10", lines, {}) == (
        "TT-GHOST-1",
        "TT-GHOST-10",
    )
    assert failing_skus("Etsy listing 5 could not be read", lines, {}) == ()
    assert failing_skus(None, lines, {}) == ()


def test_a_mapped_sku_is_found_by_the_etsy_sku_it_maps_to():
    lines = [line("TT-CANDLE", 1), line("MUG-1", 2)]
    detail = "CANDLE-SOY is on 3 products of listing 15 with different quantities (4, 9, 17)"
    assert failing_skus(detail, lines, {"TT-CANDLE": "CANDLE-SOY"}) == ("TT-CANDLE",)
    short = "MUG-1: need 2, Etsy has 1 (short 1)"
    assert failing_skus(short, lines, {}) == ("MUG-1",)
