"""Fakes that record what they were given: an HTTP API behind httpx.MockTransport, time that
moves only when slept on, a clock a test sets, and randomness at its ceiling."""

import random

import httpx


class FakeTime:
    """A monotonic clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


class FakeClock:
    """Reads `now` (a datetime, or seconds for a monotonic clock) until the test moves it."""

    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


class FakeApi:
    """An httpx.MockTransport handler routing on the URL path; each route answers from its
    list of `request -> Response` functions in turn, repeating the last. Records requests."""

    def __init__(self, routes: dict) -> None:
        self.routes = {path: list(answers) for path, answers in routes.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # A copy: auth flows re-authorise the same request object before resending it.
        self.requests.append(
            httpx.Request(
                request.method, request.url, headers=request.headers, content=request.content
            )
        )
        answers = self.routes[request.url.path]
        return (answers.pop(0) if len(answers) > 1 else answers[0])(request)

    def to(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]


class CeilingRandom(random.Random):
    """Full jitter at its top: every delay is the exponential ceiling, so tests can name it."""

    def uniform(self, a: float, b: float) -> float:
        return b
