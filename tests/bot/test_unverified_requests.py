"""Requests that fail verification cause nothing (SPEC §8): a 4xx, no outgoing call, no log flood.

Slack's signature check raises, rather than refusing, on some header shapes (a timestamp that is
not a number, a signature that is not ASCII); Bolt then calls the app's error handler with the
unverified body, which names a response_url, a channel, a user and a view. A canary listener on
loopback stands as that response_url, and the Slack emulator records every Web API call.

Bolt's error handler runs on the request thread before the HTTP answer, so once the answer is in,
any call the request would have made has been made: the checks need no waiting.
"""

import hashlib
import hmac
import logging
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client import REGISTRY

from sandbox.server import HTTPApp, Response
from tests.utils.ids import ADMIN, SIGNING_SECRET
from tests.utils.slack_requests import encode, slash_command

VICTIM = "U0VICTIM"


class Canary:
    """An HTTP listener on loopback (port 0) that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        self._lock = threading.Lock()
        self._http = HTTPApp(self._record).start()
        self.url = f"{self._http.url}/ssrf-from-orderbot"

    def _record(self, request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path, request.body))
        return Response(200, b"ok")

    def stop(self) -> None:
        self._http.stop()


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.stop()


def bodies(canary_url: str) -> dict[str, tuple[bytes, str]]:
    """One unverified body per way the error handler used to answer (response_url, ephemeral
    message, DM, modal update), as the review's reproductions sent them."""
    command = slash_command("status all", user=VICTIM, response_url=canary_url)
    ephemeral = slash_command("status all", user=VICTIM, response_url="", channel="C0ALERTS")
    ephemeral.pop("response_url")
    dm = {"type": "block_actions", "user": {"id": VICTIM}, "actions": [{"action_id": "x"}]}
    modal = {"type": "view_submission", "user": {"id": VICTIM}, "view": {"id": "V0SOMEVIEW"}}
    return {
        "response_url": encode(command),
        "ephemeral": (urlencode(ephemeral).encode(), "application/x-www-form-urlencoded"),
        "dm": encode(dm),
        "views_update": encode(modal),
    }


def now() -> str:
    return str(int(time.time()))


NOW, MISSING = "now", None  # a current timestamp; a header left out
ZEROS = "v0=" + "0" * 64  # the right shape, the wrong signature
MALFORMED_HEADERS = {  # (X-Slack-Request-Timestamp, X-Slack-Signature)
    "timestamp not a number": ("not-a-number", "v0=x"),
    "timestamp of 5000 digits": ("9" * 5000, ZEROS),
    "signature not ASCII": (NOW, "v0=\xe9".encode("latin-1")),
    "signature of non-hex ASCII": (NOW, "v0=" + "z" * 64),
    "signature upper-case hex": (NOW, "v0=" + "A" * 64),
    "signature without v0=": (NOW, "0" * 67),
    "no signature": (NOW, MISSING),
    "no timestamp": (MISSING, ZEROS),
    "no headers": (MISSING, MISSING),
}


def errors_counted() -> float:
    return REGISTRY.get_sample_value("orderbot_slack_errors_total") or 0.0


@pytest.mark.parametrize("shape", sorted(MALFORMED_HEADERS))
@pytest.mark.parametrize("kind", ["response_url", "ephemeral", "dm", "views_update"])
def test_malformed_signature_headers_get_a_4xx_and_cause_nothing(
    shape, kind, served, slack_api, spy, canary, caplog
):
    slack_api.reset()
    spy.reset()
    raw, content_type = bodies(canary.url)[kind]
    headers = {"content-type": content_type}
    timestamp, signature = MALFORMED_HEADERS[shape]
    if timestamp is not MISSING:
        headers["x-slack-request-timestamp"] = now() if timestamp == NOW else timestamp
    if signature is not MISSING:
        headers["x-slack-signature"] = signature
    errors_before = errors_counted()
    with caplog.at_level(logging.INFO):
        answer = httpx.post(f"{served.url}/slack/events", content=raw, headers=headers)
    assert 400 <= answer.status_code < 500
    assert canary.requests == []
    assert slack_api.calls() == []
    assert spy.commands() == []
    assert errors_counted() == errors_before
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert VICTIM not in caplog.text  # the unverified body is not written out


def test_a_forged_but_well_formed_request_is_not_logged_whole(served, slack_api, canary, caplog):
    """Bolt logs a failed verification at INFO with the whole body; that log is silenced."""
    raw, content_type = bodies(canary.url)["response_url"]
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": now(),
        "x-slack-signature": ZEROS,
    }
    with caplog.at_level(logging.INFO):
        answer = httpx.post(f"{served.url}/slack/events", content=raw, headers=headers)
    assert answer.status_code == 401
    assert canary.requests == [] and slack_api.calls() == []
    assert VICTIM not in caplog.text and canary.url not in caplog.text


def signed(raw: bytes, content_type: str) -> dict[str, str]:
    """Signed as Slack signs (over the raw bytes, which need not be UTF-8 here)."""
    ts = now()
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:%s:%s" % (ts.encode(), raw), hashlib.sha256)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest.hexdigest()}",
    }


UNREADABLE = {
    "deeply nested JSON": (b"[" * 200_000, "application/json"),
    "JSON that is not an object": (b"[1, 2]", "application/json"),
    "not UTF-8": (b"command=%2Forders&text=\xff\xfe", "application/x-www-form-urlencoded"),
    "payload that is not JSON": (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    "payload that is a JSON string": (b"payload=%22x%22", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
@pytest.mark.parametrize("signature", ["forged", "valid"])
def test_a_body_bolt_cannot_parse_is_a_400_without_a_traceback(
    case, signature, served, slack_api, spy, caplog
):
    slack_api.reset()
    spy.reset()
    raw, content_type = UNREADABLE[case]
    headers = signed(raw, content_type)
    if signature == "forged":
        headers["x-slack-signature"] = ZEROS
    errors_before = errors_counted()
    with caplog.at_level(logging.INFO):
        answer = httpx.post(f"{served.url}/slack/events", content=raw, headers=headers)
    assert answer.status_code == 400
    assert slack_api.calls() == [] and spy.commands() == []
    assert errors_counted() == errors_before
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


def test_a_valid_request_still_gets_its_answer(slack, slack_api):
    """The gates stand only in front of what Slack never sends."""
    body = slash_command("help", user=ADMIN, response_url=slack_api.response_url("ok"))
    assert slack.post(body).status == 200
    (reply,) = slack_api.wait_for(lambda: slack_api.responses("ok"))
    assert reply["blocks"][0]["type"] == "header"
