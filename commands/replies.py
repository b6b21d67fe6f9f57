"""Renderer-neutral replies: what a command answers, as data.

Every string here is plain text exactly as it should read; renderers escape it for their medium
(Slack mrkdwn, the terminal) and add their own emphasis. No markup goes in.
"""

import re
from dataclasses import dataclass

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Confirm:
    title: str
    text: str
    confirm: str = "Yes"
    deny: str = "No"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str  # one of commands.actions
    value: str
    style: str | None = None  # "primary" | "danger"
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class KeyValues:
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """Rows under named columns. The first column names the row (an order id, a SKU, a time):
    renderers never cut it. `menus`, when given, holds one row's actions per row (Slack shows
    them as the row's overflow menu; each button's value is already what the menu sends)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    menus: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Byline:
    """One line saying who did something: `before`, the actor, `after`, e.g.
    `Byline("Handled by ", "U0ADMIN")`. `actor` is a Slack user id, which Slack shows as a
    mention, or who it was in words."""

    before: str
    actor: str | None = None  # None: no one is named
    after: str = ""

    @property
    def mentions(self) -> bool:
        """True when `actor` is a well-formed Slack user id (anything else is shown as text)."""
        return bool(self.actor and _SLACK_USER.match(self.actor))


@dataclass(frozen=True)
class Entry:
    """One line of an order's history: when, who (a Slack user id, shown as a mention, or who
    it was in words) and what happened, as a sentence."""

    when: str
    actor: str
    text: str

    @property
    def mentions(self) -> bool:
        return bool(_SLACK_USER.match(self.actor))


@dataclass(frozen=True)
class History:
    entries: tuple[Entry, ...]


Block = Heading | Paragraph | KeyValues | Table | Actions | Byline | History


@dataclass(frozen=True)
class SelectField:
    id: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class TextField:
    id: str
    label: str
    placeholder: str = ""
    multiline: bool = False
    optional: bool = False
    initial: str = ""  # the value the field starts with


@dataclass(frozen=True)
class SearchField:
    """A value picked from options the app serves as the user types (`commands.options`
    answers for `id`); where nothing can serve them (a terminal), typed like a TextField."""

    id: str
    label: str
    placeholder: str = ""
    min_query_length: int = 1
    initial: str = ""
    optional: bool = False


@dataclass(frozen=True)
class ChoicesField:
    """Any number of options picked (a Slack multi-select); submitted as the values picked,
    comma-separated. Optional: picking none is an answer too."""

    id: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label); values hold no comma
    optional: bool = True


@dataclass(frozen=True)
class Form:
    """A dialog to fill in (a Slack modal); submitting it runs `callback_id` with the values."""

    title: str
    submit: str
    callback_id: str  # one of commands.actions
    private_metadata: str
    intro: str
    fields: tuple[SelectField | TextField | SearchField | ChoicesField, ...]
    # Where no dialog can open (a terminal): what typing an option's number does, and the
    # command text that answers the form at once, "{choice}" standing for an option's label.
    pick: str = ""  # e.g. "to cancel with that reason, or anything else to keep the order"
    typed: str = ""  # e.g. "/orders cancel 576460000000000001 {choice}"


@dataclass(frozen=True)
class Reply:
    text: str  # one-line summary; also the notification/fallback text
    blocks: tuple[Block, ...] = ()
    ok: bool = True  # False: the command was not understood or not carried out
    public: bool = False  # True: show to the channel, not only to the user
    form: Form | None = None  # ask for more input before acting
