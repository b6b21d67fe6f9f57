"""A Slack Web API emulator: the methods orderbot calls, with Slack's checks and limits.

    sandbox = SlackSandbox().start()
    client = WebClient(base_url=sandbox.url, token=sandbox.bot_token)   # sandbox.url ends in /api/

Serves `POST /api/<method>` for auth.test, chat.postMessage, chat.update, chat.postEphemeral,
chat.delete, views.open, views.update, views.push, views.publish, conversations.info and
users.info, with JSON or form bodies, the bot token as `Authorization: Bearer …` or a `token`
field (else `not_authed` / `invalid_auth`). Blocks and views are parsed with slack_sdk's Block Kit
models and checked against Slack's limits: a broken message answers `invalid_blocks`, a broken
view `invalid_arguments` (as Slack does), each with `response_metadata.messages`. Every call is
recorded, failed ones too. `response_url(key)` gives a URL on this server that records what is
posted to it (a response URL takes five posts, as Slack's does).

An independent reading of Slack's documentation: imports no orderbot code.
"""

import contextlib
import copy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from sandbox.server import HTTPApp, Request, Response, Router

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
TABLE_ROWS = 100
TABLE_CELLS = 20
TABLE_CHARS = 10_000
RESPONSE_URL_USES = 5

_JSON_ARGS = ("blocks", "view", "attachments", "metadata")


@dataclass(frozen=True)
class Call:
    method: str  # a Web API method, or "response_url"
    body: dict  # the arguments as received (JSON and form merged, JSON strings parsed), no token
    ok: bool
    error: str | None = None
    key: str | None = None  # the response URL's key


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list = field(default_factory=list)
    ephemeral_to: str | None = None  # ephemeral: only this user sees it
    thread_ts: str | None = None
    edits: int = 0


class _Refused(Exception):
    def __init__(self, error: str, messages: list[str] | None = None):
        super().__init__(error)
        self.error = error
        self.messages = messages or []


# --------------------------------------------------------------------------------------------
# Block Kit checks


def _dropped(sent: Any, parsed: Any, path: str) -> list[str]:
    """Properties that slack_sdk's models did not recognise (Slack refuses unknown ones)."""
    problems: list[str] = []
    if isinstance(sent, dict) and isinstance(parsed, dict):
        for key, value in sent.items():
            if key not in parsed:
                problems.append(f"unsupported property `{key}` [json-pointer:{path}/{key}]")
            else:
                problems.extend(_dropped(value, parsed[key], f"{path}/{key}"))
    elif isinstance(sent, list) and isinstance(parsed, list):
        for index, (a, b) in enumerate(zip(sent, parsed, strict=False)):
            problems.extend(_dropped(a, b, f"{path}/{index}"))
    return problems


def _check_table(block: dict, path: str) -> list[str]:
    problems = []
    rows = block.get("rows") or []
    if len(rows) > TABLE_ROWS:
        problems.append(f"must have at most {TABLE_ROWS} rows [json-pointer:{path}/rows]")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        problems.append(f"rows must all have the same number of cells [json-pointer:{path}/rows]")
    chars = 0
    for r, row in enumerate(rows):
        if len(row) > TABLE_CELLS:
            problems.append(f"a row has at most {TABLE_CELLS} cells [json-pointer:{path}/rows/{r}]")
        for c, cell in enumerate(row):
            if cell.get("type") == "raw_text":
                text = cell.get("text")
                if not isinstance(text, str) or not text:
                    problems.append(
                        f"raw_text must not be empty [json-pointer:{path}/rows/{r}/{c}/text]"
                    )
                else:
                    chars += len(text)
            elif cell.get("type") not in ("rich_text", "raw_number"):
                problems.append(f"unknown cell type [json-pointer:{path}/rows/{r}/{c}]")
    if chars > TABLE_CHARS:
        problems.append(f"a table holds at most {TABLE_CHARS} characters [json-pointer:{path}]")
    return problems


def _check_block(block: Any, path: str) -> list[str]:
    if not isinstance(block, dict) or "type" not in block:
        return [f"a block must be an object with a type [json-pointer:{path}]"]
    parsed = Block.parse(copy.deepcopy(block))
    if parsed is None:
        return [f"unknown block type `{block['type']}` [json-pointer:{path}]"]
    try:
        round_trip = parsed.to_dict()
    except SlackObjectFormationError as error:
        return [f"{error} [json-pointer:{path}]"]
    problems = _dropped(block, round_trip, path)
    if block["type"] == "table":
        problems.extend(_check_table(block, path))
    if block["type"] == "actions":
        ids = [e.get("action_id") for e in block.get("elements", []) if e.get("action_id")]
        if len(ids) != len(set(ids)):
            problems.append(f"action_id values must be unique [json-pointer:{path}/elements]")
    return problems


def check_blocks(blocks: Any, *, limit: int, surface: str, path: str = "/blocks") -> list[str]:
    """Problems Slack would report for `blocks` on `surface` ("message" or a view type)."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{path}]"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{path}]")
    tables = 0
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        problems.extend(_check_block(block, f"{path}/{index}"))
        if isinstance(block, dict):
            if block.get("type") == "table":
                tables += 1
                if surface != "message":
                    problems.append(
                        f"table blocks are for messages only [json-pointer:{path}/{index}]"
                    )
            block_id = block.get("block_id")
            if block_id is not None:
                if block_id in block_ids:
                    problems.append(f"duplicate block_id [json-pointer:{path}/{index}/block_id]")
                block_ids.add(block_id)
    if tables > 1:
        problems.append(f"only one table is allowed per message [json-pointer:{path}]")
    return problems


def check_view(view: Any) -> list[str]:
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return ["type must be modal or home [json-pointer:/view/type]"]
    try:
        parsed = View(**copy.deepcopy(view)).to_dict()
    except (SlackObjectFormationError, TypeError) as error:
        return [f"{error} [json-pointer:/view]"]
    problems = [p for p in _dropped(view, parsed, "/view") if "/view/blocks" not in p]
    problems.extend(
        check_blocks(view.get("blocks"), limit=VIEW_BLOCKS, surface=kind, path="/view/blocks")
    )
    if kind == "modal":
        if not view.get("title"):
            problems.append("a modal needs a title [json-pointer:/view/title]")
        has_inputs = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_inputs and not view.get("submit"):
            problems.append("a modal with input blocks needs submit [json-pointer:/view/submit]")
    return problems


# --------------------------------------------------------------------------------------------
# The emulator


class SlackSandbox:
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
    ):
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self._seq = itertools.count(1)
        self._calls: list[Call] = []
        self._messages: dict[tuple[str, str], Message] = {}
        self._views: dict[str, dict] = {}
        self._homes: dict[str, dict] = {}
        self._triggers_used: set[str] = set()
        self._response_uses: dict[str, int] = {}
        self._channel_errors: dict[str, str] = {}
        router = Router()
        router.add("POST", "/api/{method}", self._api)
        router.add("GET", "/api/{method}", self._api)
        router.add("POST", "/response/{key}", self._response_url)
        self._router = router
        self._http = HTTPApp(self._dispatch, host=host, port=port)
        self._methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
        }

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
        """Forget all calls, messages, views and simulation settings."""
        with self._cond:
            self._calls.clear()
            self._messages.clear()
            self._views.clear()
            self._homes.clear()
            self._triggers_used.clear()
            self._response_uses.clear()
            self._channel_errors.clear()

    # -- simulation controls -----------------------------------------------------------------

    def refuse_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """Make chat.postMessage to `channel` fail (the bot is not a member, …)."""
        with self._cond:
            self._channel_errors[channel] = error

    def response_url(self, key: str) -> str:
        return f"{self._http.url}/response/{key}"

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
                for (ch, _), m in self._messages.items()
                if ch == channel and (include_ephemeral or m.ephemeral_to is None)
            ]
        return sorted(found, key=lambda m: m.ts)

    def views(self) -> list[dict]:
        """Modals opened or pushed, as last updated."""
        with self._cond:
            return [copy.deepcopy(v) for v in self._views.values()]

    def home(self, user: str) -> dict | None:
        with self._cond:
            return copy.deepcopy(self._homes.get(user))

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
                raise _Refused("not_authed")
            if token != self.bot_token:
                raise _Refused("invalid_auth")
            handler = self._methods.get(method)
            if handler is None:
                raise _Refused("unknown_method")
            with self._cond:
                result = handler(args)
        except _Refused as refused:
            self._record(Call(method, args, False, refused.error))
            payload: dict[str, Any] = {"ok": False, "error": refused.error}
            if refused.messages:
                payload["errors"] = refused.messages
                payload["response_metadata"] = {
                    "messages": [f"[ERROR] {m}" for m in refused.messages]
                }
            return Response.json(payload)
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

    # -- methods (called with the lock held) -------------------------------------------------

    def _ts(self) -> str:
        return f"{int(self._clock())}.{next(self._seq):06d}"

    def _require(self, args: dict, *names: str) -> None:
        for name in names:
            if not args.get(name):
                raise _Refused(f"{name}_not_provided" if name != "channel" else "channel_not_found")

    def _message_content(self, args: dict, *, required: bool = True) -> None:
        text = args.get("text") or ""
        if len(text) > MESSAGE_TEXT:
            raise _Refused("msg_too_long")
        if "blocks" in args:
            problems = check_blocks(args["blocks"], limit=MESSAGE_BLOCKS, surface="message")
            if problems:
                raise _Refused("invalid_blocks", problems)
        if required and not (text or args.get("blocks") or args.get("attachments")):
            raise _Refused("no_text")

    def _channel(self, channel: str) -> str:
        error = self._channel_errors.get(channel)
        if error:
            raise _Refused(error)
        if channel.startswith(("U", "W")):  # a user id: the app's DM with that user
            return "D" + channel[1:]
        return channel

    def _auth_test(self, args: dict) -> dict:
        return {
            "url": "https://sandbox.slack.com/",
            "team": "Sandbox",
            "user": "orderbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _as_message(self, message: Message) -> dict:
        return {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": message.text,
            "blocks": message.blocks,
            "ts": message.ts,
            **({"thread_ts": message.thread_ts} if message.thread_ts else {}),
        }

    def _post_message(self, args: dict) -> dict:
        self._require(args, "channel")
        self._message_content(args)
        channel = self._channel(args["channel"])
        message = Message(
            channel=channel,
            ts=self._ts(),
            text=args.get("text") or "",
            blocks=args.get("blocks") or [],
            thread_ts=args.get("thread_ts"),
        )
        self._messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": self._as_message(message)}

    def _update(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        self._message_content(args, required=False)
        message = self._messages.get((args["channel"], args["ts"]))
        if message is None or message.ephemeral_to is not None:
            raise _Refused("message_not_found")
        if "text" in args:
            message.text = args["text"] or ""
        if "blocks" in args:
            message.blocks = args["blocks"] or []
        message.edits += 1
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._as_message(message),
        }

    def _post_ephemeral(self, args: dict) -> dict:
        self._require(args, "channel", "user")
        self._message_content(args)
        channel = self._channel(args["channel"])
        message = Message(
            channel=channel,
            ts=self._ts(),
            text=args.get("text") or "",
            blocks=args.get("blocks") or [],
            ephemeral_to=args["user"],
        )
        self._messages[(channel, message.ts)] = message
        return {"message_ts": message.ts}

    def _delete(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        if self._messages.pop((args["channel"], args["ts"]), None) is None:
            raise _Refused("message_not_found")
        return {"channel": args["channel"], "ts": args["ts"]}

    def _use_trigger(self, args: dict) -> None:
        trigger = args.get("trigger_id")
        if not trigger:
            raise _Refused("invalid_trigger_id")
        if trigger in self._triggers_used:
            raise _Refused("exchanged_trigger_id")
        self._triggers_used.add(trigger)

    def _checked_view(self, args: dict, *, kind: str) -> dict:
        view = args.get("view")
        problems = check_view(view)
        if not problems and view.get("type") != kind:
            problems = [f"type must be {kind} [json-pointer:/view/type]"]
        if problems:
            raise _Refused("invalid_arguments", problems)
        return view

    def _store_view(self, view: dict, *, view_id: str | None = None, root: str | None = None):
        seq = next(self._seq)
        view_id = view_id or f"V{seq:08d}"
        previous = self._views.get(view_id, {})
        stored = {
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "bot_id": self.bot_id,
            "hash": f"{int(self._clock())}.{seq:08d}",
            "state": {"values": {}},
            "root_view_id": previous.get("root_view_id") or root or view_id,
        }
        self._views[view_id] = stored
        return {"view": copy.deepcopy(stored)}

    def _views_open(self, args: dict) -> dict:
        self._use_trigger(args)
        return self._store_view(self._checked_view(args, kind="modal"))

    def _views_push(self, args: dict) -> dict:
        self._use_trigger(args)
        return self._store_view(self._checked_view(args, kind="modal"))

    def _views_update(self, args: dict) -> dict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (
                    v["id"]
                    for v in self._views.values()
                    if v.get("external_id") == args["external_id"]
                ),
                None,
            )
        if not view_id or view_id not in self._views:
            raise _Refused("not_found")
        if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
            raise _Refused("hash_conflict")
        return self._store_view(self._checked_view(args, kind="modal"), view_id=view_id)

    def _views_publish(self, args: dict) -> dict:
        self._require(args, "user_id")
        view = self._checked_view(args, kind="home")
        user = args["user_id"]
        current = self._homes.get(user)
        if args.get("hash") and current and args["hash"] != current["hash"]:
            raise _Refused("hash_conflict")
        seq = next(self._seq)
        stored = {
            **copy.deepcopy(view),
            "id": (current or {}).get("id") or f"V{seq:08d}",
            "team_id": self.team_id,
            "hash": f"{int(self._clock())}.{seq:08d}",
        }
        self._homes[user] = stored
        return {"view": copy.deepcopy(stored)}

    def _conversations_info(self, args: dict) -> dict:
        self._require(args, "channel")
        channel = args["channel"]
        return {
            "channel": {
                "id": channel,
                "name": f"channel-{channel.lower()}",
                "is_channel": channel.startswith("C"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in self._channel_errors,
            }
        }

    def _users_info(self, args: dict) -> dict:
        self._require(args, "user")
        user = args["user"]
        return {
            "user": {
                "id": user,
                "team_id": self.team_id,
                "name": f"user-{user.lower()}",
                "real_name": f"User {user}",
                "is_bot": user == self.bot_user_id,
                "tz": "UTC",
                "profile": {"display_name": f"user-{user.lower()}"},
            }
        }
