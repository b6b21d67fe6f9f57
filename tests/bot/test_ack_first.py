"""Slack is acknowledged first, on the request thread; slow work runs after the ack (SPEC §8).

Bolt runs lazy listeners on its listener executor (five threads). Acks queued on that same pool
waited behind slow lazy work (bench/RESULTS.md, slack_ack); with `process_before_response=True`
the ack runs on the request's own thread, so every listener must do nothing slow before it acks.
Each test holds the slow part (the core, or Slack's response URL) until the ack is in.
"""

import threading
import time

import httpx
import pytest

from bot.core import CoreCalls, load_core
from commands import actions
from sandbox.server import HTTPApp, Response
from tests.utils.ids import ADMIN, GUEST
from tests.utils.slack_requests import app_home_opened, block_action, encode, slash_command

ACK_DEADLINE_S = 2.5  # under Bolt's 3 s ack timeout, after which it gives up on an ack


def post(slack, body: dict) -> httpx.Response:
    """Signed as `SlackRequests.post` signs, sent with our own deadline for the answer."""
    raw, content_type = encode(body)
    ts = str(int(time.time()))
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": slack._verifier.generate_signature(timestamp=ts, body=raw),
    }
    try:
        return slack._http.post(slack._url, content=raw, headers=headers, timeout=ACK_DEADLINE_S)
    except httpx.TimeoutException:
        pytest.fail("no ack within the deadline: slow work ran before it")


class Gate:
    """Holds every caller until opened; counts who is waiting."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._cv = threading.Condition()
        self.waiting = 0

    def wait(self) -> None:
        with self._cv:
            self.waiting += 1
            self._cv.notify_all()
        self._open.wait(30)

    def wait_for_waiting(self, count: int, timeout: float = 10) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self.waiting >= count, timeout)

    def open(self) -> None:
        self._open.set()


@pytest.fixture
def gate():
    held = Gate()
    yield held
    held.open()


def held_core(gate: Gate, *, execute=True, home=False) -> CoreCalls:
    real = load_core()

    def slow_execute(command, ctx):
        gate.wait()
        return real.execute(command, ctx)

    def slow_home(ctx):
        gate.wait()
        return real.home(ctx)

    return CoreCalls(
        parse=real.parse,
        execute=slow_execute if execute else real.execute,
        home=slow_home if home else real.home,
    )


def test_an_ack_does_not_wait_behind_slow_lazy_work(serve_with, slack_api, gate):
    slack = serve_with(held_core(gate))
    slack_api.reset()
    busy = 5  # Bolt's listener executor: every thread of it held in the core
    for n in range(busy):
        url = slack_api.response_url(f"busy{n}")
        assert slack.post(slash_command("status all", user=ADMIN, response_url=url)).status == 200
    assert gate.wait_for_waiting(busy)
    late = slash_command("help", user=ADMIN, response_url=slack_api.response_url("late"))
    assert post(slack, late).status_code == 200
    gate.open()
    slack_api.wait_for(lambda: slack_api.responses("late"), timeout=10)


def test_app_home_is_acked_before_it_is_rendered(serve_with, slack_api, gate):
    slack = serve_with(held_core(gate, execute=False, home=True))
    slack_api.reset()
    assert post(slack, app_home_opened(ADMIN)).status_code == 200
    assert gate.wait_for_waiting(1)  # rendering had started, and was still held, at the ack
    assert slack_api.home(ADMIN) is None
    gate.open()
    home = slack_api.wait_for(lambda: slack_api.home(ADMIN), timeout=10)
    assert home["type"] == "home"


class SlowResponseUrl:
    """A response URL that answers only once the gate is open."""

    def __init__(self, gate: Gate) -> None:
        self.posts: list[bytes] = []
        self._gate = gate
        self._cv = threading.Condition()
        self._http = HTTPApp(self._answer).start()
        self.url = f"{self._http.url}/response"

    def _answer(self, request) -> Response:
        self._gate.wait()
        with self._cv:
            self.posts.append(request.body)
            self._cv.notify_all()
        return Response(200, b"ok")

    def wait_for_posts(self, count: int, timeout: float = 10) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: len(self.posts) >= count, timeout)

    def stop(self) -> None:
        self._http.stop()


def test_a_refused_click_is_acked_before_the_refusal_is_sent(serve_with, gate):
    slack = serve_with(load_core())
    response_url = SlowResponseUrl(gate)
    try:
        click = block_action(actions.RETRY_PLACEMENT, "576460000000000001", user=GUEST)
        click["response_url"] = response_url.url
        assert post(slack, click).status_code == 200
        assert response_url.posts == []  # the refusal is sent after the ack
        gate.open()
        assert response_url.wait_for_posts(1)
        assert b"admin" in response_url.posts[0].lower()
    finally:
        gate.open()
        response_url.stop()
