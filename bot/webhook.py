"""`POST /tiktok/webhook`: TikTok Shop pushes, answered at once, acted on in the background.

The request thread only checks the signature and reads the envelope (`sync.webhook`); the order
is re-read from TikTok by one background worker (`RefreshWorker`), so TikTok gets its answer
well within its 3 seconds whatever TikTok's API or the database are doing.

    bad signature                       401, nothing else happens
    types 1 and 11 for this shop        200, the order is queued for a re-read
    any other type, unreadable body     200, ignored (TikTok would only retry a refusal)
    another shop's push                 200, ignored, with a log line

Pushes come late, twice or out of order: the worker re-reads the order (the engine ignores an
older `update_time`) and folds repeats of one order still waiting into one read.
"""

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import waitress

from bot.http_server import MAX_BODY, RunningServer, waitress_options
from sync import webhook as pushes

log = logging.getLogger(__name__)

PATH = "/tiktok/webhook"
BATCH = 50  # Get Order Detail takes at most 50 ids


class RefreshWorker:
    """One thread that re-reads the orders pushes name, up to 50 per call.

    `refresh(ids)` does the reading (`Engine.refresh_orders`); `after()` runs once the queue is
    empty again (the alert dispatcher, so alerts follow at once); `resolve_shop()` looks up this
    shop's TikTok id, once, off the request path."""

    def __init__(
        self,
        refresh: Callable[[list[str]], None],
        *,
        after: Callable[[], Any] | None = None,
        resolve_shop: Callable[[], str] | None = None,
        shop_id: str | None = None,
    ):
        self._refresh = refresh
        self._after = after
        self._resolve_shop = resolve_shop
        self._shop_id = shop_id
        self._pending: OrderedDict[str, str | None] = OrderedDict()  # order id → pushed shop id
        self._busy = False
        self._closed = False
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self.refreshed = 0  # order ids read (for tests and logs)
        self.ignored = 0

    @property
    def shop_id(self) -> str | None:
        """This shop's TikTok id once known (None until looked up)."""
        return self._shop_id

    def start(self) -> "RefreshWorker":
        with self._cv:
            if self._thread is None:
                # Busy until the shop's id is looked up, so `wait_idle` covers that too.
                self._busy = self._shop_id is None and self._resolve_shop is not None
                self._thread = threading.Thread(
                    target=self._run, name="orderbot-webhook-refresh", daemon=True
                )
                self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, order_id: str, shop_id: str | None = None) -> None:
        with self._cv:
            self._pending[order_id] = shop_id
            self._pending.move_to_end(order_id)
            self._cv.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is queued or being read (waits on a condition, with a deadline)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        self._learn_shop()
        with self._cv:
            self._busy = False
            self._cv.notify_all()
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._pending or self._closed)
                if self._closed:
                    return
                batch: list[tuple[str, str | None]] = []
                while self._pending and len(batch) < BATCH:
                    batch.append(self._pending.popitem(last=False))
                self._busy = True
            try:
                ids = self._ours(batch)
                if ids:
                    self._refresh(ids)
                    self.refreshed += len(ids)
            except Exception:
                log.exception("re-reading %d pushed order(s) failed", len(batch))
            finally:
                with self._cv:
                    idle = not self._pending
            if idle and self._after is not None:
                try:
                    self._after()
                except Exception:
                    log.exception("the follow-up of a webhook refresh failed")
            with self._cv:
                self._busy = False
                self._cv.notify_all()

    def _learn_shop(self) -> None:
        if self._shop_id is not None or self._resolve_shop is None:
            return
        try:
            self._shop_id = self._resolve_shop()
            log.info("TikTok webhooks: this shop's id is %s", self._shop_id)
        except Exception as exc:  # TikTok unreachable: pushes are still acted on
            log.warning("could not look up this shop's TikTok id (%s); not checking it", exc)

    def _ours(self, batch: Iterable[tuple[str, str | None]]) -> list[str]:
        ids = []
        for order_id, shop in batch:
            if self._shop_id is not None and shop is not None and shop != self._shop_id:
                self.ignored += 1
                log.info("TikTok push for another shop (%s) ignored: order %s", shop, order_id)
                continue
            ids.append(order_id)
        return ids


class TikTokWebhook:
    """The `webhook(headers, body) -> (status, payload)` callable `bot.http_server` serves."""

    def __init__(self, *, app_key: str, app_secret: str, worker: RefreshWorker):
        self._app_key = app_key
        self._app_secret = app_secret
        self._worker = worker

    def __call__(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict]:
        signature = headers.get("authorization")
        if not pushes.verify(self._app_key, self._app_secret, body, signature):
            log.warning("TikTok push refused: missing or wrong signature (%d bytes)", len(body))
            return 401, {"ok": False, "error": "invalid signature"}
        try:
            push = pushes.parse(body)
        except pushes.BadPush as exc:
            log.warning("signed TikTok push ignored: %s", exc)
            return 200, {"ok": True, "ignored": "unreadable"}
        if not push.refreshes_order:
            log.debug("TikTok push of type %s ignored", push.type)
            return 200, {"ok": True, "ignored": f"type {push.type}"}
        known = self._worker.shop_id
        if known is not None and push.shop_id != known:
            log.info(
                "TikTok push for unknown shop_id %s ignored (type %s, order %s)",
                push.shop_id,
                push.type,
                push.order_id,
            )
            return 200, {"ok": True, "ignored": "unknown shop"}
        self._worker.submit(push.order_id, push.shop_id)
        return 200, {"ok": True, "queued": push.order_id}


def webhook_wsgi(webhook: Callable[[Mapping[str, str], bytes], tuple[int, Mapping[str, Any]]]):
    """A WSGI app serving only `POST /tiktok/webhook` (the demo, which runs no Slack app)."""

    def application(environ, start_response):
        def answer(status: int, payload: Mapping[str, Any]):
            body = json.dumps(payload).encode()
            reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
            start_response(
                f"{status} {reason.get(status, 'Status')}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]

        if environ.get("PATH_INFO") != PATH:
            return answer(404, {"ok": False, "error": "not found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(405, {"ok": False, "error": "method not allowed"})
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        return answer(*webhook(headers, body))

    return application


def start_webhook_server(webhook, *, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve `webhook_wsgi(webhook)` on a background thread; port 0 picks a free port."""
    server = waitress.create_server(
        webhook_wsgi(webhook), host=host, port=port, **waitress_options(threads=4)
    )
    thread = threading.Thread(target=server.run, name="orderbot-webhook-http", daemon=True)
    thread.start()
    return RunningServer(server, thread)
