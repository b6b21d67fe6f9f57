"""The HTTP runner: WSGI apps served by waitress, with limits that a few clients cannot exhaust.

POST /slack/events    slash commands, interactivity and events (Bolt verifies the signature);
                      not served without a Bolt app (Socket Mode)
POST /tiktok/webhook  TikTok Shop pushes, handed to the `webhook` callable when one is given
GET  /healthz         the `health` callable's mapping as JSON: 200 when its "ok" is true, else 503
GET  /metrics         Prometheus text exposition of the default registry, on a server of its own
                      (`start_metrics_server`, loopback by default): not on the public port

Every server refuses a body over `MAX_BODY` at its Content-Length header, closes a connection
idle for `IDLE_TIMEOUT_S` and holds at most `CONNECTION_LIMIT` connections (waitress's defaults
are 1 GiB, 120 s and 100: a hundred silent sockets stopped the service).
"""

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import waitress
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from waitress import wasyncore

from bot import metrics

Health = Callable[[], Mapping[str, Any]]
# (lower-cased headers, raw body) -> (HTTP status, JSON payload)
Webhook = Callable[[Mapping[str, str], bytes], tuple[int, Mapping[str, Any]]]

MAX_BODY = 1 << 20  # no Slack or TikTok request comes near a mebibyte
IDLE_TIMEOUT_S = 10  # a connection with no request in progress is closed after this long
CONNECTION_LIMIT = 250  # open connections; past it waitress accepts no more until some close
THREADS = 8  # requests handled at once (Bolt acks on them; lazy listeners run on Bolt's pool)

log = logging.getLogger(__name__)


# What Slack sends: a Unix time in seconds, and "v0=" with a lower-case hex HMAC-SHA256.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def signature_headers_well_formed(headers: Mapping[str, str]) -> bool:
    """Whether both signature headers have the shape Slack gives them. Bolt's own check raises,
    instead of refusing, on some other shapes, and its error handler then acts on the unverified
    body (security review finding 1); so those are refused before Bolt sees them."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    return bool(_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature))


class _TimedSlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter behind two gates, timing each request until Bolt has acknowledged it.

    Signature headers of the wrong shape get a 401, and a body Bolt cannot parse a 400, before
    Bolt: neither is logged (whatever is in them comes from anyone) nor answered anywhere else.
    """

    def dispatch(self, request) -> BoltResponse:
        headers = request.get_headers()
        if not signature_headers_well_formed(headers):
            return BoltResponse(status=401, body={"error": "invalid request"})
        try:
            bolt_request = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=headers
            )
        except Exception:  # RecursionError, UnicodeDecodeError, JSON that is not an object, …
            return BoltResponse(status=400, body={"error": "unreadable request body"})
        started = time.perf_counter()
        response = self.app.dispatch(bolt_request)
        if response.status != 401:  # a refusal by Bolt's verification acknowledges nothing
            metrics.observe_ack(bolt_request.body, time.perf_counter() - started)
        return response


def _json(start_response, status: int, payload: Mapping[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload, default=str).encode("utf-8")
    start_response(
        f"{status} {_REASONS.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def make_wsgi(app: App | None, *, health: Health, webhook: Webhook | None = None):
    """The WSGI application behind `serve` (tests may call it directly or serve it on port 0);
    without `app`, no Slack endpoint (Socket Mode takes Slack's requests over its socket)."""

    def healthz(start_response):
        try:
            report = dict(health())
        except Exception:
            log.exception("health check failed")
            return _json(start_response, 503, {"ok": False, "error": "health check failed"})
        return _json(start_response, 200 if report.get("ok") else 503, report)

    def tiktok(environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(start_response, 400, {"ok": False, "error": "bad content length"})
        if length > MAX_BODY:
            return _json(start_response, 413, {"ok": False, "error": "body too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            status, payload = webhook(_headers(environ), body)
        except Exception:
            log.exception("TikTok webhook handler failed")
            return _json(start_response, 500, {"ok": False, "error": "internal error"})
        return _json(start_response, status, payload)

    routes: dict[str, tuple[set[str], Callable]] = {
        "/healthz": ({"GET", "HEAD"}, lambda environ, start: healthz(start)),
    }
    if app is not None:
        routes["/slack/events"] = ({"POST"}, _TimedSlackHandler(app, path="/slack/events"))
    if webhook is not None:
        routes["/tiktok/webhook"] = ({"POST"}, tiktok)
    return _routed(routes)


def metrics_wsgi():
    """`GET /metrics` alone, for `start_metrics_server`."""

    def metrics_page(environ, start_response):
        body = generate_latest(REGISTRY)
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
        )
        return [body]

    return _routed({"/metrics": ({"GET", "HEAD"}, metrics_page)})


def _routed(routes: Mapping[str, tuple[set[str], Callable]]):
    def application(environ, start_response):
        route = routes.get(environ.get("PATH_INFO", ""))
        if route is None:
            return _json(start_response, 404, {"ok": False, "error": "not found"})
        methods, handler = route
        if environ.get("REQUEST_METHOD") not in methods:
            return _json(start_response, 405, {"ok": False, "error": "method not allowed"})
        if environ.get("PATH_INFO") == "/slack/events":
            length = environ.get("CONTENT_LENGTH") or "0"
            if length.isdigit() and int(length) > MAX_BODY:
                return _json(start_response, 413, {"ok": False, "error": "body too large"})
        return handler(environ, start_response)

    return application


class RunningServer:
    """A waitress server on a background thread (tests and `orderbot demo`)."""

    def __init__(self, server, thread: threading.Thread):
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return self._server.effective_port

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening socket and connections from inside the server's own loop (closing
        them from this thread would pull sockets from under its select), then wait for it."""
        server = self._server
        # An OSError means the trigger is closed already: the loop ended and took its sockets.
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map, ignore_all=True))
        self._thread.join(timeout)
        server.task_dispatcher.shutdown()


def waitress_options(*, threads: int = THREADS, idle_timeout_s: int = IDLE_TIMEOUT_S) -> dict:
    """What every orderbot server runs with."""
    return {
        "threads": threads,
        "ident": "orderbot",
        # Refused at the header: waitress answers 413 when Content-Length >= this (and stops a
        # chunked body there), before reading or spooling it.
        "max_request_body_size": MAX_BODY + 1,
        "channel_timeout": idle_timeout_s,
        "cleanup_interval": 1,  # how often idle connections are looked for (default 30 s)
        "connection_limit": CONNECTION_LIMIT,
    }


def _start(wsgi, *, name: str, host: str, port: int, **options) -> RunningServer:
    server = waitress.create_server(wsgi, host=host, port=port, **waitress_options(**options))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    return RunningServer(server, thread)


def start_server(
    app: App | None,
    *,
    health: Health,
    webhook: Webhook | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = THREADS,
    idle_timeout_s: int = IDLE_TIMEOUT_S,
) -> RunningServer:
    """Serve in the background; port 0 picks a free port (see `.url`)."""
    return _start(
        make_wsgi(app, health=health, webhook=webhook),
        name="orderbot-http",
        host=host,
        port=port,
        threads=threads,
        idle_timeout_s=idle_timeout_s,
    )


def start_metrics_server(*, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """`GET /metrics` in the background, on loopback unless told otherwise."""
    return _start(metrics_wsgi(), name="orderbot-metrics", host=host, port=port, threads=2)


def serve(
    app: App,
    *,
    port: int,
    health: Health,
    webhook: Webhook | None = None,
    host: str = "0.0.0.0",
    threads: int = THREADS,
) -> None:
    """Serve until interrupted (production: `orderbot run` without an app token). Port 0 binds
    a free port; the port bound is logged either way, so whoever started the process can read
    it (tests do: choosing a port beforehand races with everything else on the machine)."""
    server = waitress.create_server(
        make_wsgi(app, health=health, webhook=webhook),
        host=host,
        port=port,
        **waitress_options(threads=threads),
    )
    log.info("listening on port %s", server.effective_port)
    server.run()
