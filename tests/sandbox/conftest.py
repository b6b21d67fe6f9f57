"""Fixtures for the emulator tests: a running TikTok sandbox, a signed raw client, and a local
webhook receiver."""

import queue

import pytest

from sandbox.server import HTTPApp, Response
from sandbox.tiktok import TikTokSandbox
from tests.utils.tiktok_signed import Client


@pytest.fixture
def sandbox():
    with TikTokSandbox() as running:
        yield running


@pytest.fixture
def client(sandbox):
    client = Client(sandbox, sandbox.issue_tokens()["access_token"])
    yield client
    client.http.close()


@pytest.fixture
def receiver():
    """A local webhook receiver: every push lands in `received`; `replies` scripts the status."""
    received: queue.Queue = queue.Queue()
    replies: list[int] = []

    def dispatch(request):
        received.put((request.headers, request.body))
        return Response(replies.pop(0) if replies else 200)

    app = HTTPApp(dispatch).start()
    yield app.url + "/tiktok/webhook", received, replies
    app.stop()
