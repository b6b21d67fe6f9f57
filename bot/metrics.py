"""Prometheus metrics the Slack surface records (default registry, served at GET /metrics)."""

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Histogram

ACK_SECONDS = Histogram(
    "orderbot_slack_ack_seconds",
    "Time from a Slack request's arrival to its acknowledgement.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
COMMANDS = Counter(
    "orderbot_slack_commands_total", "/orders commands received, by command.", ["command"]
)
ACTIONS = Counter(
    "orderbot_slack_actions_total", "Button clicks and form submissions, by id.", ["action_id"]
)
ERRORS = Counter("orderbot_slack_errors_total", "Unhandled errors answered with an apology.")


def request_kind(body: Mapping[str, Any]) -> str:
    """command, block_actions, view_submission, event_callback, … (bounded label values)."""
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind in ("block_actions", "view_submission", "view_closed", "event_callback"):
        return kind
    return "other"


def observe_ack(body: Mapping[str, Any], seconds: float) -> None:
    ACK_SECONDS.labels(request_kind(body)).observe(seconds)


@contextmanager
def timing_ack(body: Mapping[str, Any]) -> Iterator[None]:
    """Wraps `App.dispatch`, which returns once the listener has called ack()."""
    start = time.perf_counter()
    try:
        yield
    finally:
        observe_ack(body, time.perf_counter() - start)
