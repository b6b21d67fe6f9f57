"""app.yaml against Slack's app manifest format (docs.slack.dev/reference/app-manifest): field
names, types and limits, and that it declares what the listeners are bound to."""

import re
from pathlib import Path

import pytest

from bot.listeners.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "app.yaml"


# A reader for the YAML subset app.yaml keeps to (block mappings and sequences, plain, quoted
# and folded `>-` scalars, comments). PyYAML is not a dependency; this keeps the check honest
# about the file as written.
_KEY = re.compile(r"^([A-Za-z_][\w.-]*):(?:\s+(.*))?$")  # `key:` or `key: value`; not `chat:write`


def _scalar(text: str):
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"')
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def load_subset(source: str):
    lines = []
    for raw in source.splitlines():
        stripped = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith('"') else raw
        if stripped.strip() and not stripped.lstrip().startswith("#"):
            lines.append((len(stripped) - len(stripped.lstrip()), stripped.strip()))
    position = 0

    def block(indent: int):
        nonlocal position
        if lines[position][1].startswith("- "):
            items = []
            while position < len(lines) and lines[position][0] == indent:
                depth, text = lines[position]
                assert text.startswith("- "), f"mixed sequence at line {position}"
                rest = text[2:]
                if _KEY.match(rest):
                    lines[position] = (depth + 2, rest)  # a mapping starts on the dash line
                    items.append(block(depth + 2))
                else:
                    position += 1
                    items.append(_scalar(rest))
            return items
        mapping = {}
        while position < len(lines) and lines[position][0] == indent:
            key, value = _KEY.match(lines[position][1]).groups()
            position += 1
            value = (value or "").strip()
            if value == ">-":
                parts = []
                while position < len(lines) and lines[position][0] > indent:
                    parts.append(lines[position][1])
                    position += 1
                mapping[key] = " ".join(parts)
            elif value:
                mapping[key] = _scalar(value)
            else:
                mapping[key] = block(lines[position][0])
        return mapping

    return block(0)


@pytest.fixture(scope="module")
def manifest():
    return load_subset(MANIFEST.read_text(encoding="utf-8"))


def test_top_level_groups(manifest):
    assert set(manifest) <= {
        "_metadata",
        "display_information",
        "features",
        "oauth_config",
        "settings",
        "functions",
    }
    assert manifest["_metadata"]["major_version"] in (1, 2)


def test_display_information(manifest):
    info = manifest["display_information"]
    assert isinstance(info["name"], str) and 0 < len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", info["background_color"])


def test_bot_user_and_app_home(manifest):
    bot = manifest["features"]["bot_user"]
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", bot["display_name"])
    assert isinstance(bot["always_online"], bool)
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True  # app_home_opened publishes the Home tab
    assert all(isinstance(value, bool) for value in home.values())


def test_the_slash_command_is_the_one_the_listener_binds(manifest):
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["command"].startswith("/") and len(command["command"]) <= 32
    assert 0 < len(command["description"]) <= 2000
    assert 0 < len(command["usage_hint"]) <= 1000
    assert command["should_escape"] is False
    assert command["url"].startswith("https://") and command["url"].endswith("/slack/events")
    for word in ("fetch", "status", "show", "cancel", "map", "ship", "due"):
        assert word in command["usage_hint"]


def test_scopes_are_the_few_the_features_need(manifest):
    assert manifest["oauth_config"]["scopes"] == {
        "bot": ["commands", "chat:write", "channels:history", "groups:history"]
    }
    for scope in ("channels:history", "groups:history"):  # said why, in the file
        assert f"{scope}" in MANIFEST.read_text().split("_metadata:")[0]


def test_settings(manifest):
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    for url in (
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],  # the Map form's SKU search
        settings["event_subscriptions"]["request_url"],
    ):
        assert url == "https://example.com/slack/events"  # placeholders, documented in the file
    for flag in ("org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled"):
        assert isinstance(settings[flag], bool)
    assert "example.com" in MANIFEST.read_text() and "# " in MANIFEST.read_text()


def test_the_reader_understands_what_it_checks():
    text = (
        'a:\n  b: "x: y"\n  c:\n    - one\n    - k: 1\n      v: true\n  d: >-\n    two\n    words\n'
    )
    assert load_subset(text) == {
        "a": {"b": "x: y", "c": ["one", {"k": 1, "v": True}], "d": "two words"}
    }
