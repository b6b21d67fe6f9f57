"""A few slow or large clients cannot stop the HTTP endpoint (security review finding 3).

Raw sockets, each with a deadline: a declared-oversized body is refused at its header, before it
is sent whole; a hundred idle connections leave room for /healthz; an idle one is closed.
"""

import socket
import time

import httpx
import pytest

from bot.http_server import (
    CONNECTION_LIMIT,
    IDLE_TIMEOUT_S,
    MAX_BODY,
    start_metrics_server,
    start_server,
)
from bot.webhook import start_webhook_server

DEADLINE_S = 5.0


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def receive(sock: socket.socket, until: bytes, deadline_s: float) -> tuple[bytes, bool]:
    """What the server sent until `until` arrived, it closed or the deadline passed; and
    whether it closed the connection."""
    received = b""
    end = time.monotonic() + deadline_s
    while until not in received:
        left = end - time.monotonic()
        if left <= 0:
            return received, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return received, False
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


@pytest.fixture
def server():
    running = start_server(None, health=lambda: {"ok": True}, webhook=lambda h, b: (200, {}))
    yield running
    running.stop()


@pytest.mark.parametrize("path", ["/slack/events", "/tiktok/webhook"])
def test_a_declared_oversized_body_is_refused_at_the_header(server, path):
    with socket.create_connection(host_port(server.url), timeout=DEADLINE_S) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {5 * MAX_BODY}\r\n\r\n".encode()
            + b"{" * 1024  # a little of the body; the rest never comes
        )
        answer, _ = receive(sock, b"\r\n\r\n", DEADLINE_S)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_body_of_exactly_the_limit_is_read(server):
    answer = httpx.post(f"{server.url}/tiktok/webhook", content=b"x" * MAX_BODY, timeout=10)
    assert answer.status_code == 200


def test_a_hundred_idle_connections_leave_room_for_health(server):
    assert CONNECTION_LIMIT > 100
    idle = []
    try:
        for _ in range(100):
            sock = socket.create_connection(host_port(server.url), timeout=DEADLINE_S)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # and nothing more
            idle.append(sock)
        answer = httpx.get(f"{server.url}/healthz", timeout=DEADLINE_S)
        assert answer.status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_connection_is_closed_within_seconds():
    running = start_server(None, health=lambda: {"ok": True}, idle_timeout_s=1)
    try:
        with socket.create_connection(host_port(running.url), timeout=DEADLINE_S) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the request never ends
            # waitress closes an idle connection at its next look (every second) past the timeout
            assert receive(sock, b"HTTP/1.1", 1 + 1 + DEADLINE_S) == (b"", True)
    finally:
        running.stop()


@pytest.mark.parametrize(
    "start",
    [
        lambda: start_server(None, health=lambda: {"ok": True}),
        start_metrics_server,
        lambda: start_webhook_server(lambda h, b: (200, {})),
    ],
    ids=["http", "metrics", "demo-webhook"],
)
def test_every_server_runs_with_the_named_limits(start):
    running = start()
    try:
        adj = running._server.adj
        assert adj.max_request_body_size == MAX_BODY + 1  # waitress refuses >= its limit
        assert adj.channel_timeout == IDLE_TIMEOUT_S
        assert adj.connection_limit == CONNECTION_LIMIT
        assert adj.cleanup_interval <= IDLE_TIMEOUT_S
    finally:
        running.stop()
