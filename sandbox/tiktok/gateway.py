"""The API's HTTP face: routing, injected faults, the rate limit, TikTok's timed rules, the
gateway checks, the envelope, and a record of every call. Simulation controls (`/_sandbox/`)
bypass all of it."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.clock import SandboxClock
from sandbox.server import Request, Response, Router

from .auth import Gate
from .errors import (
    BODY_NOT_JSON,
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    TOO_MANY_REQUESTS,
    UNKNOWN_PATH,
    ApiError,
    RequestIds,
    envelope,
)
from .faults import Faults, RateLimiter
from .params import Route


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    status: int  # 0 when the connection was dropped
    code: int | None  # the envelope's code, None without one
    headers: dict[str, str] = field(default_factory=dict)


class Gateway:
    def __init__(
        self,
        *,
        routes: list[Route],
        gate: Gate,
        faults: Faults,
        limiter: RateLimiter,
        clock: SandboxClock,
        tick: Callable[[], None],
        controls: Callable[[Request], Response],
    ):
        self._router = Router()
        for route in routes:
            self._router.add(route.method, route.pattern, route)
        self._gate = gate
        self._faults = faults
        self._limiter = limiter
        self._clock = clock
        self._tick = tick
        self._controls = controls
        self._request_ids = RequestIds()
        self.calls: list[Call] = []
        self._calls_lock = threading.Lock()

    def reset_calls(self) -> None:
        with self._calls_lock:
            self.calls.clear()

    def dispatch(self, request: Request) -> Response | None:
        if request.path.startswith("/_sandbox/"):
            return self._controls(request)
        response, code = self._serve(request)
        call = Call(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=request.body,
            status=response.status if response else 0,
            code=code,
            headers=dict(request.headers),
        )
        with self._calls_lock:
            self.calls.append(call)
        return response

    def _serve(self, request: Request) -> tuple[Response | None, int | None]:
        now = self._clock.now()
        request_id = self._request_ids.next(now)
        route, params, known = self._router.match(request.method, request.path)
        if not isinstance(route, Route):
            code = METHOD_NOT_ALLOWED if known else UNKNOWN_PATH
            text = "HTTP method not supported" if known else "Path not found"
            return _error(request_id, ApiError(code, text)), code
        faults = self._faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)  # real delay: the client's timeouts are real
        if faults.roll(faults.reset_rate):
            return None, None
        wait = faults.retry_after_s if faults.take_429() else self._limiter.acquire(route.pattern)
        if wait:
            error = ApiError(TOO_MANY_REQUESTS, "Too many requests")
            return _error(request_id, error, {"retry-after": str(wait)}), TOO_MANY_REQUESTS
        if faults.roll(faults.error_rate):
            if faults.pick((True, False)):
                return Response(503, b"Service Unavailable", {"content-type": "text/plain"}), None
            return _error(request_id, ApiError(INTERNAL_ERROR, "Internal error")), INTERNAL_ERROR
        self._tick()
        try:
            if route.scope != "token":
                self._gate.check(request, now, shop_scoped=route.scope == "shop")
            data = route.handler(request, params, _json_body(request))
        except ApiError as error:
            return _error(request_id, error), error.code
        response = Response.json(envelope(request_id, data))
        if faults.roll(faults.malformed_rate):
            response.body = response.body[: len(response.body) // 2]
        return response, 0


def _error(request_id: str, error: ApiError, headers: dict | None = None) -> Response:
    return Response.json(envelope(request_id, error=error), error.http_status, headers)


def _json_body(request: Request) -> dict:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError as error:
        raise ApiError(BODY_NOT_JSON, "Request body must be JSON") from error
    if not isinstance(body, dict):
        raise ApiError(BODY_NOT_JSON, "Request body must be a JSON object")
    return body
