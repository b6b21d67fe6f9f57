"""A `Reply` as plain terminal text (for `orderbot exec` and the demo console).

Like Slack, the summary `text` is shown only when there are no blocks. Strings come from users
and marketplaces, so control characters are replaced before they reach the terminal. Nothing is
cut: a table too wide for the terminal wraps its cells (never its first column, which names the
row), and one too wide even for that shows each row as a block of its own.
"""

import textwrap
import unicodedata

from commands.replies import (
    Actions,
    Block,
    Byline,
    ChoicesField,
    Form,
    Heading,
    History,
    KeyValues,
    Paragraph,
    Reply,
    SelectField,
    Table,
)

_GAP = "  "
_MIN_WRAP = 14  # a column wrapped narrower than this reads badly: rows become blocks instead
_RECORD_INDENT = "  "
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def render_text(reply: Reply, *, width: int = 100) -> str:
    parts = [_block(block, width) for block in reply.blocks] or [_wrap(reply.text, width)]
    if reply.form is not None:
        parts.append(_form(reply.form, width))
    return "\n\n".join(parts)


def _block(block: Block, width: int) -> str:
    match block:
        case Heading(text):
            line = _clean(text).replace("\n", " ")
            return line + "\n" + "─" * min(_width(line), width)
        case Paragraph(text):
            return _wrap(text, width)
        case KeyValues(items):
            return _key_values(items, width)
        case Table(columns, rows):
            return _table(columns, rows, width)
        case History(entries):
            rows = tuple(
                (e.when, f"@{e.actor}" if e.mentions else e.actor, e.text) for e in entries
            )
            return _table(("When", "Who", "What"), rows, width)
        case Actions(buttons):
            return _buttons([f"[{_clean(button.label)}]" for button in buttons], width)
        case Byline(before, actor, after):
            who = f"@{actor}" if block.mentions else actor or ""
            return _wrap(before + who + after, width)
    raise TypeError(f"unknown block {block!r}")


def _buttons(labels: list[str], width: int) -> str:
    """Buttons on as few lines as fit, never one split over two."""
    lines = [""]
    for label in labels:
        if lines[-1] and _width(lines[-1]) + 1 + _width(label) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]} {label}" if lines[-1] else label
    return "\n".join(lines)


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.fill(line, width) if line.strip() else "" for line in _clean(text).split("\n")
    )


def _key_values(items: tuple[tuple[str, str], ...], width: int) -> str:
    keys = [_clean(key).replace("\n", " ") + ":" for key, _ in items]
    indent = max(map(_width, keys), default=0) + 1
    lines = []
    for key, (_, value) in zip(keys, items, strict=True):
        value_lines = _wrap(value, max(width - indent, 20)).split("\n")
        lines.append(_pad(key, indent) + value_lines[0])
        lines.extend(" " * indent + line for line in value_lines[1:])
    return "\n".join(line.rstrip() for line in lines)


def _table(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...], width: int) -> str:
    # A cell may hold several lines (an order's line items); each becomes its own text line.
    header = [_clean(column).replace("\n", " ") for column in columns]
    body = [[_clean(cell) for cell in row] for row in rows]
    natural = [
        max(
            _width(line)
            for text in [header[i], *(row[i] for row in body)]
            for line in text.split("\n")
        )
        for i in range(len(columns))
    ]
    widths = _fit(natural, width - len(_GAP) * (len(columns) - 1))
    if widths is None:
        return _records(header, body, width)
    out = _table_row(header, widths)
    out.append(_GAP.join("─" * w for w in widths))
    for row in body:
        out.extend(_table_row(row, widths))
    return "\n".join(out)


def _fit(natural: list[int], room: int) -> list[int] | None:
    """Column widths within `room`: the first column whole, the widest others narrowed first,
    none below `_MIN_WRAP` (or its natural width); None when that cannot fit."""
    widths = list(natural)
    floors = [natural[0], *(min(w, _MIN_WRAP) for w in natural[1:])]
    if sum(floors) > room:
        return None
    while sum(widths) > room:
        widest = max(range(1, len(widths)), key=lambda i: widths[i] - floors[i])
        widths[widest] -= 1
    return widths


def _records(header: list[str], body: list[list[str]], width: int) -> str:
    """Each row as a block: its first cell, then every other cell under its column's name."""
    room = width - len(_RECORD_INDENT)
    blocks = []
    for row in body:
        items = tuple(zip(header[1:], row[1:], strict=True))
        facts = _key_values(items, room).split("\n") if items else []
        blocks.append("\n".join([row[0], *(_RECORD_INDENT + line for line in facts)]))
    return "\n\n".join(blocks)


def _table_row(cells: list[str], widths: list[int]) -> list[str]:
    wrapped = [_wrap_cell(cell, w) for cell, w in zip(cells, widths, strict=True)]
    height = max((len(lines) for lines in wrapped), default=1)
    return [
        _GAP.join(
            _pad(lines[i] if i < len(lines) else "", w)
            for lines, w in zip(wrapped, widths, strict=True)
        ).rstrip()
        for i in range(height)
    ]


def _wrap_cell(text: str, width: int) -> list[str]:
    """The cell's lines within `width` terminal columns: at spaces, else inside a long word."""
    out: list[str] = []
    for line in text.split("\n"):
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if _width(candidate) <= width:
                current = candidate
                continue
            if current:
                out.append(current)
            while _width(word) > width:
                head = _take(word, width)
                out.append(head)
                word = word[len(head) :]
            current = word
        out.append(current)
    return out


def _take(text: str, width: int) -> str:
    """The longest start of `text` within `width` columns (at least one character)."""
    used, n = 0, 0
    for ch in text:
        if used + _char_width(ch) > width and n:
            break
        used += _char_width(ch)
        n += 1
    return text[:n]


def _form(form: Form, width: int) -> str:
    lines = [_block(Heading(form.title), width), _wrap(form.intro, width)]
    for field in form.fields:
        label = _clean(field.label)
        if isinstance(field, SelectField):
            lines.append(f"{label}:")
            lines.extend(
                f"  {number}. {_clean(text)}"
                for number, (_, text) in enumerate(field.options, start=1)
            )
            if form.pick:
                lines.append(_wrap(f"Type 1–{len(field.options)} {form.pick}.", width))
        elif isinstance(field, ChoicesField):
            shown = "; ".join(_clean(text) for _, text in field.options)
            lines.append(_wrap(f"{label}: {shown}", width))
        elif field.initial:
            lines.append(f"{label}: {_clean(field.initial)}")
        else:
            hint = f" ({_clean(field.placeholder)})" if field.placeholder else ""
            lines.append(f"{label}{' (optional)' if field.optional else ''}:{hint}")
    if form.typed and not form.pick:  # answered by typing the command, not a number
        typed = form.typed.replace("{choice}", "<" + form.fields[0].label.lower() + ">")
        lines.append(_wrap(f"Type {typed} to answer.", width))
    return "\n".join(line for line in lines if line)


def _clean(text: str) -> str:
    """Keep newlines; make tabs spaces; show every other control character as �."""
    return "".join(
        ch if ch == "\n" else " " if ch == "\t" else "�" if _is_control(ch) else ch for ch in text
    )


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in _BIDI


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or ch == "\u200d":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _width(text: str) -> int:
    """Terminal columns: wide (CJK, most emoji) characters take two."""
    return sum(map(_char_width, text))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
