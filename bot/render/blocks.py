"""Reply blocks → Block Kit blocks, for one surface at a time (message, modal, home)."""

import logging
import re
from collections.abc import Sequence
from typing import Literal

from bot.render import limits
from bot.render.text import chunks, cut, escape, escape_cut, mrkdwn, plain
from commands.replies import (
    Actions,
    Block,
    Button,
    Byline,
    Heading,
    History,
    KeyValues,
    Paragraph,
    Table,
)

Surface = Literal["message", "modal", "home"]

log = logging.getLogger(__name__)

_SUFFIX = "~"  # duplicates of one action id in a surface become `id~2`, `id~3`, …
_GRID_CELL = 28  # widest cell in a monospace grid
_TABLE_CELL = 1_000
_EMPTY_CELL = "—"
_BYLINE_ACTOR = 200  # an actor in words (a Slack user id is far shorter)
_SHORT_CELL = 48  # a row's cell this short (label included) may share a line ...
_ROW_LINE = 72  # ... that stays this short (about a line of a Slack message on a desktop)
_CELL_GAP = " · "
_LONG_VALUE = 60  # key-values most of whose values are longer go one to a line
_ROOM_AROUND_ROWS = 8  # headings, counts, paging: the blocks a grid reply has besides its rows


def action_pattern(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` and the numbered copies this module makes of it."""
    return re.compile(rf"^{re.escape(action_id)}(?:{re.escape(_SUFFIX)}\d+)?$")


def base_action_id(action_id: str) -> str:
    """The id a numbered copy was made from (`order_view~2` → `order_view`)."""
    return action_id.split(_SUFFIX, 1)[0]


class _Renderer:
    def __init__(self, surface: Surface):
        self.surface = surface
        self.table_used = False
        self.action_ids: dict[str, int] = {}

    def render(self, blocks: Sequence[Block]) -> list[dict]:
        out: list[dict] = []
        for block in blocks:
            match block:
                case Heading(text=text):
                    if text.strip():
                        out.append({"type": "header", "text": plain(text, limits.HEADER_TEXT)})
                case Paragraph(text=text):
                    out.extend(paragraph(text))
                case KeyValues(items=items):
                    out.extend(self.key_values(items))
                case Table(columns=columns, rows=rows, menus=menus) if menus:
                    out.extend(self.menu_rows(columns, rows, menus))
                case Table(columns=columns, rows=rows):
                    out.extend(self.table(columns, rows))
                case History():
                    out.extend(history(block))
                case Actions(buttons=buttons):
                    out.extend(self.actions(buttons))
                case Byline():
                    out.append(byline(block))
                case _:
                    raise TypeError(f"no renderer for {type(block).__name__}")
        return out

    def key_values(self, items: Sequence[tuple[str, str]]) -> list[dict]:
        long = sum(len(value) > _LONG_VALUE for _, value in items)
        if len(items) >= 3 and long * 2 > len(items):
            return key_value_lines(items)  # two half-width columns would cramp long values
        fields = []
        for key, value in items:
            label = f"*{escape_cut(key, 200)}*\n"
            fields.append(
                mrkdwn(label + escape_cut(value or _EMPTY_CELL, limits.FIELD_TEXT - len(label)))
            )
        return [
            {"type": "section", "fields": fields[start : start + limits.SECTION_FIELDS]}
            for start in range(0, len(fields), limits.SECTION_FIELDS)
        ]

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[dict]:
        if not columns:
            return []
        if self.surface == "message" and not self.table_used:
            self.table_used = True
            return table_block(columns, rows)
        return grid_sections(columns, rows)

    def menu_rows(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        menus: Sequence[Sequence[Button]],
    ) -> list[dict]:
        """A table whose rows carry actions: a section per row (a `table` block holds no
        elements), its first cell in bold, each other cell under its column's name (short ones
        share a line), the row's actions as the section's overflow menu; a divider between
        rows, while the surface has blocks to spare."""
        dividers = 2 * len(rows) + _ROOM_AROUND_ROWS <= limits.MESSAGE_BLOCKS
        out: list[dict] = []
        for index, row in enumerate(rows):
            cells = _cells(row, len(columns))
            labelled = [
                (f"*{escape_cut(column, 200)}:* ", cell)
                for column, cell in zip(columns[1:], cells[1:], strict=True)
                if cell
            ]
            text = _cut_lines(_row_lines(f"*{escape_cut(cells[0], _BYLINE_ACTOR)}*", labelled))
            section: dict = {"type": "section", "text": mrkdwn(text)}
            menu = self.overflow(menus[index] if index < len(menus) else ())
            if menu is not None:
                section["accessory"] = menu
            if dividers and index:
                out.append({"type": "divider"})
            out.append(section)
        return out

    def overflow(self, buttons: Sequence[Button]) -> dict | None:
        options = [
            {"text": plain(b.label, limits.OPTION_TEXT), "value": b.value}
            for b in buttons
            if len(b.value) <= limits.OPTION_VALUE
        ][: limits.OVERFLOW_OPTIONS]
        if not options:
            return None
        return {
            "type": "overflow",
            "action_id": self.unique_action_id(buttons[0].action_id),
            "options": options,
        }

    def actions(self, buttons: Sequence[Button]) -> list[dict]:
        elements = [e for e in (self.button(b) for b in buttons) if e is not None]
        return [
            {"type": "actions", "elements": elements[start : start + limits.ACTIONS_ELEMENTS]}
            for start in range(0, len(elements), limits.ACTIONS_ELEMENTS)
        ]

    def button(self, button: Button) -> dict | None:
        if len(button.value) > limits.BUTTON_VALUE:
            log.warning(
                "dropped button %s: its value is longer than Slack allows", button.action_id
            )
            return None
        element: dict = {
            "type": "button",
            "text": plain(button.label, limits.BUTTON_TEXT),
            "action_id": self.unique_action_id(button.action_id),
        }
        if button.value:
            element["value"] = button.value
        if button.style in ("primary", "danger"):
            element["style"] = button.style
        if button.confirm is not None:
            confirm = button.confirm
            element["confirm"] = {
                "title": plain(confirm.title, limits.CONFIRM_TITLE),
                "text": plain(confirm.text, limits.CONFIRM_TEXT),
                "confirm": plain(confirm.confirm, limits.CONFIRM_BUTTON),
                "deny": plain(confirm.deny, limits.CONFIRM_BUTTON),
            }
            if button.style == "danger":
                element["confirm"]["style"] = "danger"
        return element

    def unique_action_id(self, action_id: str) -> str:
        seen = self.action_ids.get(action_id, 0) + 1
        self.action_ids[action_id] = seen
        return action_id if seen == 1 else f"{action_id}{_SUFFIX}{seen}"


def render_blocks(blocks: Sequence[Block], surface: Surface) -> list[dict]:
    return _Renderer(surface).render(blocks)


def paragraph(text: str) -> list[dict]:
    if not text.strip():
        return []
    return [
        {"type": "section", "text": plain(piece, limits.SECTION_TEXT)}
        for piece in chunks(text, limits.SECTION_TEXT)
        if piece.strip()
    ]


def byline(line: Byline) -> dict:
    """A context line. Only a well-formed Slack user id becomes a mention; everything else,
    the actor in words included, is escaped so it cannot ping or link."""
    who = f"<@{line.actor}>" if line.mentions else escape_cut(line.actor or "", _BYLINE_ACTOR)
    room = (limits.SECTION_TEXT - len(who)) // 2
    text = escape_cut(line.before, room) + who + escape_cut(line.after, room)
    return {"type": "context", "elements": [mrkdwn(text)]}


def key_value_lines(items: Sequence[tuple[str, str]]) -> list[dict]:
    """Key-values one to a line, the key in bold, as few sections as the text needs."""
    lines = [
        f"*{escape_cut(key, 200)}* — {escape_cut(value or _EMPTY_CELL, limits.FIELD_TEXT)}"
        for key, value in items
    ]
    return [
        {"type": "section", "text": mrkdwn(piece)}
        for piece in chunks("\n".join(lines), limits.SECTION_TEXT)
    ]


def history(block: History) -> list[dict]:
    """One line per entry, whole (Slack wraps them): the time in code, who (a Slack user as a
    mention), what happened. As many sections as the text needs."""
    lines = []
    for entry in block.entries:
        who = (
            f"<@{entry.actor}>" if entry.mentions else f"*{escape_cut(entry.actor, _BYLINE_ACTOR)}*"
        )
        lines.append(f"`{escape(entry.when)}`  {who} — {escape(entry.text)}")
    out, current = [], ""
    for line in lines:
        line = line if len(line) <= limits.SECTION_TEXT else line[: limits.SECTION_TEXT - 1] + "…"
        if current and len(current) + 1 + len(line) > limits.SECTION_TEXT:
            out.append({"type": "section", "text": mrkdwn(current)})
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        out.append({"type": "section", "text": mrkdwn(current)})
    return out


def _row_lines(first: str, labelled: list[tuple[str, str]]) -> list[str]:
    """A row's lines: short one-line cells join the line before them, the rest start their own;
    a cell's further lines follow it as they are."""
    lines = [first]
    for label, cell in labelled:
        head, *rest = cell.split("\n")
        piece = label + escape(head)
        short = not rest and _shown(piece) <= _SHORT_CELL
        if short and _shown(lines[-1]) + len(_CELL_GAP) + _shown(piece) <= _ROW_LINE:
            lines[-1] += _CELL_GAP + piece
        else:
            lines.append(piece)
        lines.extend(escape(line) for line in rest)
    return lines


def _shown(mrkdwn_text: str) -> int:
    """About how many characters Slack shows for a line of our mrkdwn (no `*`, entities as one)."""
    return len(re.sub(r"&(?:amp|lt|gt);", "&", mrkdwn_text.replace("*", "")))


def _cut_lines(lines: list[str]) -> str:
    """Escaped lines joined within a section's limit; whole lines are dropped from the end."""
    text = ""
    for line in lines:
        candidate = f"{text}\n{line}" if text else line
        if len(candidate) > limits.SECTION_TEXT:
            return text or line[: limits.SECTION_TEXT - 1] + "…"
        text = candidate
    return text


def context_note(text: str) -> dict:
    return {"type": "context", "elements": [plain(text, limits.SECTION_TEXT)]}


def _cells(row: Sequence[str], width: int) -> list[str]:
    cells = [str(cell) for cell in row[:width]]
    return cells + [""] * (width - len(cells))


def table_block(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[dict]:
    """A Slack `table` block (messages only): header row first, within row and size caps."""
    width = min(len(columns), limits.TABLE_COLUMNS)

    def row_cells(row: Sequence[str]) -> list[dict]:
        return [
            {"type": "raw_text", "text": cut(cell, _TABLE_CELL) or _EMPTY_CELL}
            for cell in _cells(row, width)
        ]

    header = row_cells(columns)
    used = sum(len(cell["text"]) for cell in header)
    table_rows = [header]
    for row in rows[: limits.TABLE_ROWS - 1]:
        cells = row_cells(row)
        size = sum(len(cell["text"]) for cell in cells)
        if used + size > limits.TABLE_CHARS:
            break
        used += size
        table_rows.append(cells)
    out = [
        {
            "type": "table",
            "column_settings": [{"is_wrapped": True} for _ in range(width)],
            "rows": table_rows,
        }
    ]
    shown = len(table_rows) - 1
    if shown < len(rows):
        out.append(context_note(f"Showing {shown} of {len(rows)} rows."))
    return out


def grid_lines(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The rows as aligned monospace lines: header, rule, one line per row."""
    width = len(columns)
    table = [
        [cut(" ".join(cell.split()), _GRID_CELL) for cell in _cells(row, width)]
        for row in [columns, *rows]
    ]
    widths = [max(len(row[i]) for row in table) for i in range(width)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def grid_sections(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[dict]:
    """A grid as pre-formatted (monospace) sections, where a `table` block cannot go."""
    fence = "```"
    budget = limits.SECTION_TEXT - 2 * len(fence) - 2
    sections: list[list[str]] = [[]]
    size = 0
    for line in grid_lines(columns, rows):
        escaped = escape_cut(line, budget)
        if sections[-1] and size + len(escaped) + 1 > budget:
            sections.append([])
            size = 0
        sections[-1].append(escaped)
        size += len(escaped) + 1
    return [
        {"type": "section", "text": mrkdwn(f"{fence}\n" + "\n".join(lines) + f"\n{fence}")}
        for lines in sections
    ]


def fit(blocks: list[dict], limit: int) -> list[dict]:
    """At most `limit` blocks. What does not fit is replaced by a note; trailing buttons (paging,
    actions) are kept, since without them the reader cannot move on."""
    if len(blocks) <= limit:
        return blocks
    tail: list[dict] = []
    for block in reversed(blocks):
        if block["type"] != "actions" or len(tail) >= 2:
            break
        tail.insert(0, block)
    head = blocks[: len(blocks) - len(tail)]
    keep = limit - 1 - len(tail)
    note = context_note(f"… {len(head) - keep} more blocks not shown.")
    return head[:keep] + [note] + tail


__all__ = ["action_pattern", "base_action_id", "escape", "fit", "render_blocks"]
