"""The Web API methods the emulator serves, over one `Workspace` (what the workspace holds).

Each method takes the call's arguments and returns the fields of its `ok` answer, or raises
`Refused` with Slack's error code. The emulator calls them with its lock held.
"""

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack.blockkit import MESSAGE_BLOCKS, MESSAGE_TEXT, check_blocks, check_view

# Every bot scope the emulated methods ask for; a sandbox can be given fewer.
SCOPES = frozenset(
    {"commands", "chat:write", "channels:history", "groups:history", "im:history", "mpim:history"}
)
# conversations.history needs the *:history scope of the conversation's kind (by id prefix).
_HISTORY_SCOPE = {"C": "channels:history", "G": "groups:history", "D": "im:history"}
# "letters, numbers, underscores, and hyphens, but not periods" (docs: message metadata)
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_-]+$")
HISTORY_LIMIT = 999
_TRUE = {"1", "true", "True", True}


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list = field(default_factory=list)
    ephemeral_to: str | None = None  # ephemeral: only this user sees it
    thread_ts: str | None = None
    edits: int = 0
    metadata: dict | None = None  # {"event_type", "event_payload"}, as posted or last edited


class Refused(Exception):
    def __init__(self, error: str, messages: list[str] | None = None, **fields: Any):
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.fields = fields  # more of the answer, e.g. missing_scope's `needed`


class Workspace:
    """Messages, views and App Homes of one emulated workspace, and the methods over them."""

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        clock: Callable[[], float],
        scopes: frozenset[str],
    ):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.clock = clock
        self.scopes = scopes
        self._seq = itertools.count(1)
        self.messages: dict[tuple[str, str], Message] = {}
        self.views: dict[str, dict] = {}
        self.homes: dict[str, dict] = {}
        self.triggers_used: set[str] = set()
        self.channel_errors: dict[str, str] = {}

    def reset(self) -> None:
        for held in (
            self.messages,
            self.views,
            self.homes,
            self.triggers_used,
            self.channel_errors,
        ):
            held.clear()

    def methods(self) -> dict[str, Callable[[dict], dict]]:
        return {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.delete": self.delete,
            "conversations.history": self.history,
            "conversations.info": self.conversations_info,
            "views.open": self.open_view,
            "views.push": self.open_view,  # the same checks; the stack is not modelled
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
        }

    # -- shared checks ---------------------------------------------------------------------

    def _stamp(self) -> tuple[int, str]:
        """A fresh sequence number and a ts-like stamp made of it."""
        seq = next(self._seq)
        return seq, f"{int(self.clock())}.{seq:06d}"

    @staticmethod
    def _require(args: dict, *names: str) -> None:
        for name in names:
            if not args.get(name):
                raise Refused(f"{name}_not_provided" if name != "channel" else "channel_not_found")

    @staticmethod
    def _content(args: dict, *, required: bool = True) -> None:
        text = args.get("text") or ""
        if len(text) > MESSAGE_TEXT:
            raise Refused("msg_too_long")
        if "blocks" in args:
            problems = check_blocks(args["blocks"], limit=MESSAGE_BLOCKS, surface="message")
            if problems:
                raise Refused("invalid_blocks", problems)
        if required and not (text or args.get("blocks") or args.get("attachments")):
            raise Refused("no_text")

    @staticmethod
    def _metadata(args: dict) -> tuple[dict | None, str | None]:
        """(metadata to keep, warning): a malformed one is refused; one whose event_type
        breaks the naming rule is dropped with a warning, as Slack does."""
        metadata = args.get("metadata")
        if metadata is None:
            return None, None
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload"), dict)
        ):
            raise Refused("invalid_metadata_format")
        if not _EVENT_TYPE.match(metadata["event_type"]):
            return None, "invalid_metadata_schema"
        return copy.deepcopy(metadata), None

    def _channel(self, channel: str) -> str:
        error = self.channel_errors.get(channel)
        if error:
            raise Refused(error)
        if channel.startswith(("U", "W")):  # a user id: the app's DM with that user
            return "D" + channel[1:]
        return channel

    def _as_message(self, message: Message, *, metadata: bool = True) -> dict:
        shown = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": message.text,
            "blocks": message.blocks,
            "ts": message.ts,
        }
        if message.thread_ts:
            shown["thread_ts"] = message.thread_ts
        if metadata and message.metadata:
            shown["metadata"] = copy.deepcopy(message.metadata)
        return shown

    # -- auth and chat ---------------------------------------------------------------------

    def auth_test(self, args: dict) -> dict:
        return {
            "url": "https://sandbox.slack.com/",
            "team": "Sandbox",
            "user": "orderbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post(self, args: dict, *, ephemeral_to: str | None = None) -> tuple[Message, str | None]:
        self._content(args)
        metadata, warning = self._metadata(args)
        channel = self._channel(args["channel"])
        message = Message(
            channel=channel,
            ts=self._stamp()[1],
            text=args.get("text") or "",
            blocks=args.get("blocks") or [],
            ephemeral_to=ephemeral_to,
            thread_ts=args.get("thread_ts"),
            metadata=metadata,
        )
        self.messages[(channel, message.ts)] = message
        return message, warning

    def post_message(self, args: dict) -> dict:
        self._require(args, "channel")
        message, warning = self._post(args)
        answer = {
            "channel": message.channel,
            "ts": message.ts,
            "message": self._as_message(message),
        }
        return {**answer, "warning": warning} if warning else answer

    def post_ephemeral(self, args: dict) -> dict:
        self._require(args, "channel", "user")
        message, _ = self._post(args, ephemeral_to=args["user"])
        return {"message_ts": message.ts}

    def update(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        self._content(args, required=False)
        metadata, warning = self._metadata(args)
        message = self.messages.get((args["channel"], args["ts"]))
        if message is None or message.ephemeral_to is not None:
            raise Refused("message_not_found")
        if "text" in args:
            message.text = args["text"] or ""
        if "blocks" in args:
            message.blocks = args["blocks"] or []
        if metadata is not None:  # without it, the message keeps the metadata it has
            message.metadata = metadata
        message.edits += 1
        answer = {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._as_message(message),
        }
        return {**answer, "warning": warning} if warning else answer

    def delete(self, args: dict) -> dict:
        self._require(args, "channel", "ts")
        if self.messages.pop((args["channel"], args["ts"]), None) is None:
            raise Refused("message_not_found")
        return {"channel": args["channel"], "ts": args["ts"]}

    # -- conversations ---------------------------------------------------------------------

    def history(self, args: dict) -> dict:
        """A channel's messages, newest first, between `oldest` and `latest`, paged by cursor;
        metadata only with `include_all_metadata`. Thread replies are not in a history."""
        self._require(args, "channel")
        channel = self._channel(args["channel"])
        needed = _HISTORY_SCOPE.get(channel[:1], "channels:history")
        if needed not in self.scopes:
            raise Refused("missing_scope", needed=needed, provided=",".join(sorted(self.scopes)))
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or self.clock() + 1)
            limit = min(max(int(args.get("limit") or 100), 1), HISTORY_LIMIT)
            start = int(str(args.get("cursor") or "0").removeprefix("next_ts:"))
        except ValueError as error:
            raise Refused("invalid_arguments", [str(error)]) from error
        inclusive = args.get("inclusive") in _TRUE

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = sorted(
            (
                m
                for (ch, _), m in self.messages.items()
                if ch == channel
                and m.ephemeral_to is None
                and m.thread_ts in (None, m.ts)
                and within(float(m.ts))
            ),
            key=lambda m: m.ts,
            reverse=True,
        )
        page = found[start : start + limit]
        more = start + limit < len(found)
        metadata = args.get("include_all_metadata") in _TRUE
        return {
            "messages": [self._as_message(m, metadata=metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": f"next_ts:{start + limit}" if more else ""},
        }

    def conversations_info(self, args: dict) -> dict:
        self._require(args, "channel")
        channel = args["channel"]
        return {
            "channel": {
                "id": channel,
                "name": f"channel-{channel.lower()}",
                "is_channel": channel.startswith("C"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in self.channel_errors,
            }
        }

    def users_info(self, args: dict) -> dict:
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

    # -- views -----------------------------------------------------------------------------

    def _checked_view(self, args: dict, *, kind: str) -> dict:
        view = args.get("view")
        problems = check_view(view)
        if not problems and view.get("type") != kind:
            problems = [f"type must be {kind} [json-pointer:/view/type]"]
        if problems:
            raise Refused("invalid_arguments", problems)
        return view

    def _stored(self, view: dict, view_id: str | None, **more: Any) -> dict:
        seq, _ = self._stamp()
        return {
            **copy.deepcopy(view),
            "id": view_id or f"V{seq:08d}",
            "team_id": self.team_id,
            "hash": f"{int(self.clock())}.{seq:08d}",
            **more,
        }

    def _keep_modal(self, view: dict, *, view_id: str | None = None) -> dict:
        previous = self.views.get(view_id or "", {})
        stored = self._stored(view, view_id, bot_id=self.bot_id, state={"values": {}})
        stored["root_view_id"] = previous.get("root_view_id") or stored["id"]
        self.views[stored["id"]] = stored
        return {"view": copy.deepcopy(stored)}

    def open_view(self, args: dict) -> dict:
        trigger = args.get("trigger_id")
        if not trigger:
            raise Refused("invalid_trigger_id")
        if trigger in self.triggers_used:
            raise Refused("exchanged_trigger_id")
        self.triggers_used.add(trigger)
        return self._keep_modal(self._checked_view(args, kind="modal"))

    def views_update(self, args: dict) -> dict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (
                    v["id"]
                    for v in self.views.values()
                    if v.get("external_id") == args["external_id"]
                ),
                None,
            )
        if not view_id or view_id not in self.views:
            raise Refused("not_found")
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            raise Refused("hash_conflict")
        return self._keep_modal(self._checked_view(args, kind="modal"), view_id=view_id)

    def views_publish(self, args: dict) -> dict:
        self._require(args, "user_id")
        view = self._checked_view(args, kind="home")
        user = args["user_id"]
        current = self.homes.get(user)
        if args.get("hash") and current and args["hash"] != current["hash"]:
            raise Refused("hash_conflict")
        stored = self._stored(view, (current or {}).get("id"))
        self.homes[user] = stored
        return {"view": copy.deepcopy(stored)}
