"""The Slack Web API clients orderbot makes, with Slack's 429 answers retried after the
`Retry-After` they carry (slack_sdk's RateLimitErrorRetryHandler, which is not on by default).

Two clients, one token:
- the Bolt app's, for the listeners: every Web API call there runs after the ack (Bolt sends
  the ack as soon as `ack()` is called and runs the rest on its own threads), so a short wait
  delays a reply, never an ack; waits longer than LISTENER_WAIT_S are not waited for.
- the alerts', used only on the scheduler's thread: it waits up to ALERTS_WAIT_S. It keeps no
  retry of connection errors: a post whose answer was lost may be out, and re-sending it blind
  could show it twice; the outbox looks for it in the channel instead.
"""

import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.response import HttpResponse

LISTENER_WAIT_S = 3.0
ALERTS_WAIT_S = 30.0


class RetryAfter(RateLimitErrorRetryHandler):
    """Retries an HTTP 429 after its `Retry-After`, through an injected sleep, when that wait
    is at most `max_wait_s`; a longer one is left to the caller (the outbox tries a refused
    alert again on a later run)."""

    def __init__(
        self,
        *,
        max_retry_count: int = 2,
        max_wait_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s
        self._sleep = sleep

    @staticmethod
    def wait_of(response: HttpResponse | None) -> float:
        """The seconds Slack asks for (1 when it does not say)."""
        for name, values in (response.headers if response else {}).items():
            if name.lower() == "retry-after" and values:
                try:
                    return max(float(values[0]), 0.0)
                except ValueError:
                    break
        return 1.0

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return (
            super()._can_retry(state=state, request=request, response=response, error=error)
            and self.wait_of(response) <= self.max_wait_s
        )

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        state.next_attempt_requested = True
        self._sleep(self.wait_of(response))
        state.increment_current_attempt()


def listener_client(api_url: str, token: str) -> WebClient:
    """The Bolt app's client: connection errors retried once (slack_sdk's default), 429s
    after a short Retry-After."""
    return WebClient(
        base_url=api_url,
        token=token,
        retry_handlers=[ConnectionErrorRetryHandler(), RetryAfter(max_wait_s=LISTENER_WAIT_S)],
    )


def alerts_client(
    api_url: str, token: str, *, sleep: Callable[[float], None] = time.sleep
) -> WebClient:
    """The alert outbox's client: 429s retried after Retry-After; nothing else retried."""
    return WebClient(
        base_url=api_url,
        token=token,
        retry_handlers=[RetryAfter(max_wait_s=ALERTS_WAIT_S, sleep=sleep)],
    )
