"""The emulator's HTTP side: lifecycle, the bot token, chat.postMessage's limit, response URLs,
recording every call, and waiting on what was received."""

import contextlib
import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sandbox.server import HTTPApp, Request, Response, Router
from sandbox.slack.blockkit import MESSAGE_BLOCKS, check_blocks
from sandbox.slack.methods import SCOPES, Message, Refused, Workspace
from sandbox.slack.ratelimit import ChannelLimit

RESPONSE_URL_USES = 5

_JSON_ARGS = ("blocks", "view", "attachments", "metadata")


@dataclass(frozen=True)
class Call:
    method: str  # a Web API method, or "response_url"
    body: dict  # the arguments as received (JSON and form merged, JSON strings parsed), no token
    ok: bool
    error: str | None = None
    key: str | None = None  # the response URL's key


class SlackSandbox:
    """See the package docstring. `posts_per_second` (with `post_burst`) turns on
    chat.postMessage's per-channel limit, on `monotonic` time; off by default so tests that do
    not look at it stay fast. `scopes`: the bot token's scopes (fewer make methods that need
    the others answer `missing_scope`)."""

    def __init__(
        self,
        bot_token: str = "xoxb-sandbox",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        clock: Callable[[], float] = time.time,
        scopes: frozenset[str] = SCOPES,
        posts_per_second: float | None = None,
        post_burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._response_uses: dict[str, int] = {}
        self._workspace = Workspace(
            team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id, clock=clock, scopes=scopes
        )
        self._methods = self._workspace.methods()
        self._monotonic = monotonic
        self._configured_limit = (posts_per_second, post_burst)
        self._post_limit = self._limit(posts_per_second, post_burst)
        router = Router()
        router.add("POST", "/api/{method}", self._api)
        router.add("GET", "/api/{method}", self._api)
        router.add("POST", "/response/{key}", self._response_url)
        self._router = router
        self._http = HTTPApp(self._dispatch, host=host, port=port)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._http.url

    @property
    def url(self) -> str:
        """The Web API base URL (SLACK_API_URL): ends with `/api/`."""
        return f"{self._http.url}/api/"

    def start(self) -> "SlackSandbox":
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def reset(self) -> None:
        """Forget all calls, messages and views; simulation settings go back to the start's."""
        with self._cond:
            self._calls.clear()
            self._response_uses.clear()
            self._workspace.reset()
            self._post_limit = self._limit(*self._configured_limit)

    # -- simulation controls -----------------------------------------------------------------

    def refuse_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """Make chat.postMessage (and conversations.history) in `channel` fail (the bot is not
        a member, …)."""
        with self._cond:
            self._workspace.channel_errors[channel] = error

    def limit_posts(self, per_second: float | None, *, burst: int = 1) -> None:
        """Turn chat.postMessage's per-channel limit on (or off with None) until `reset`."""
        with self._cond:
            self._post_limit = self._limit(per_second, burst)

    def response_url(self, key: str) -> str:
        return f"{self._http.url}/response/{key}"

    def _limit(self, per_second: float | None, burst: int) -> ChannelLimit | None:
        if per_second is None:
            return None
        return ChannelLimit(per_second, burst=burst, monotonic=self._monotonic)

    # -- what was received -------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def responses(self, key: str) -> list[dict]:
        """What was posted to `response_url(key)`, accepted or not."""
        with self._cond:
            return [c.body for c in self._calls if c.method == "response_url" and c.key == key]

    def messages(self, channel: str, *, include_ephemeral: bool = True) -> list[Message]:
        with self._cond:
            found = [
                copy.deepcopy(m)
                for (ch, _), m in self._workspace.messages.items()
                if ch == channel and (include_ephemeral or m.ephemeral_to is None)
            ]
        return sorted(found, key=lambda m: m.ts)

    def views(self) -> list[dict]:
        """Modals opened or pushed, as last updated."""
        with self._cond:
            return [copy.deepcopy(v) for v in self._workspace.views.values()]

    def home(self, user: str) -> dict | None:
        with self._cond:
            return copy.deepcopy(self._workspace.homes.get(user))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Block until `predicate()` is truthy (re-checked at every call received); its value.

        Raises TimeoutError after `timeout` seconds."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"condition not met within {timeout}s")
        return result

    # -- HTTP --------------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        handler, params, known = self._router.match(request.method, request.path)
        if handler is None:
            return Response.json({"ok": False, "error": "not_found"}, 404 if not known else 405)
        request.params = params
        return handler(request)

    @staticmethod
    def _arguments(request: Request) -> dict:
        args: dict[str, Any] = dict(request.query)
        content_type = request.headers.get("content-type", "")
        if request.body:
            if content_type.startswith("application/json"):
                loaded = request.json()
                if isinstance(loaded, dict):
                    args.update(loaded)
            else:
                args.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        for name in _JSON_ARGS:
            if isinstance(args.get(name), str):
                with contextlib.suppress(json.JSONDecodeError):  # else the checks report it
                    args[name] = json.loads(args[name])
        return args

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _rate_limited(self, method: str, args: dict) -> int | None:
        """Seconds to wait when this call is over chat.postMessage's limit, else None."""
        limit = self._post_limit
        if method != "chat.postMessage" or limit is None or not args.get("channel"):
            return None
        return limit.acquire(str(args["channel"]))

    def _api(self, request: Request) -> Response:
        method = request.params["method"]
        try:
            args = self._arguments(request)
        except (ValueError, UnicodeDecodeError):
            self._record(Call(method, {}, False, "invalid_json"))
            return Response.json({"ok": False, "error": "invalid_json"})
        token = args.pop("token", None)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        try:
            if not token:
                raise Refused("not_authed")
            if token != self.bot_token:
                raise Refused("invalid_auth")
            handler = self._methods.get(method)
            if handler is None:
                raise Refused("unknown_method")
            with self._cond:
                wait = self._rate_limited(method, args)
                if wait is None:
                    result = handler(args)
        except Refused as refused:
            self._record(Call(method, args, False, refused.error))
            payload: dict[str, Any] = {"ok": False, "error": refused.error, **refused.fields}
            if refused.messages:
                payload["errors"] = refused.messages
                payload["response_metadata"] = {
                    "messages": [f"[ERROR] {m}" for m in refused.messages]
                }
            return Response.json(payload)
        if wait is not None:
            self._record(Call(method, args, False, "ratelimited"))
            return Response.json(
                {"ok": False, "error": "ratelimited"}, 429, headers={"Retry-After": str(wait)}
            )
        self._record(Call(method, args, True))
        return Response.json({"ok": True, **result})

    def _response_url(self, request: Request) -> Response:
        key = request.params["key"]
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            self._record(Call("response_url", {}, False, "invalid_json", key))
            return Response.json({"ok": False, "error": "invalid_json"}, 400)
        with self._cond:
            uses = self._response_uses.get(key, 0)
            self._response_uses[key] = uses + 1
        error = None
        if uses >= RESPONSE_URL_USES:
            error, status = "used_up", 404
        elif "blocks" in body and check_blocks(
            body["blocks"], limit=MESSAGE_BLOCKS, surface="message"
        ):
            error, status = "invalid_blocks", 400
        elif not (body.get("text") or body.get("blocks") or body.get("delete_original")):
            error, status = "no_text", 400
        self._record(Call("response_url", body, error is None, error, key))
        if error:
            return Response.json({"ok": False, "error": error}, status)
        return Response.json({"ok": True})
