"""`orderbot exec` cannot ask: a cancel without a reason says the commands to run instead,
changes nothing and exits non-zero, in text and in JSON alike."""

import json

from typer.testing import CliRunner

from orderbot.cli import app
from tests.utils.settings import core_settings, settings_environment


def environment(shops, tmp_path, monkeypatch) -> None:
    settings = core_settings(shops, f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)


def test_a_cancel_without_a_reason_lists_the_commands_and_fails(shops, tmp_path, monkeypatch):
    environment(shops, tmp_path, monkeypatch)
    order_id = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    runner = CliRunner()
    assert runner.invoke(app, ["fetch"]).exit_code == 0

    text = runner.invoke(app, ["exec", f"/orders cancel {order_id}"])
    as_json = runner.invoke(app, ["exec", "--json", f"cancel {order_id}"])

    assert text.exit_code == 1
    assert "orderbot exec cannot ask" in text.output
    assert f'orderbot exec "/orders cancel {order_id} out of stock"' in text.output
    assert f'orderbot exec "/orders cancel {order_id} pricing error"' in text.output
    assert as_json.exit_code == 1
    payload = json.loads(as_json.output)
    assert f"/orders cancel {order_id} out of stock" in json.dumps(payload["blocks"])
    assert payload["modal"]["callback_id"] == "order_cancel_form"  # what Slack would open
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"
    done = runner.invoke(app, ["exec", f"/orders cancel {order_id} out of stock"])
    assert done.exit_code == 0 and shops.tiktok.order(order_id)["status"] == "CANCELLED"
