"""A `Reply` as plain terminal text (for `orderbot exec` and the demo console).

Like Slack, the summary `text` is shown only when there are no blocks. Strings come from users
and marketplaces, so control characters are replaced before they reach the terminal.
"""

import textwrap
import unicodedata

from commands.replies import (
    Actions,
    Block,
    Byline,
    Form,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    SelectField,
    Table,
)

_GAP = "  "
_MIN_COLUMN = 3  # room for one character and the ellipsis
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
        case Actions(buttons):
            return " ".join(f"[{_clean(button.label)}]" for button in buttons)
        case Byline(before, actor, after):
            who = f"@{actor}" if block.mentions else actor or ""
            return _wrap(before + who + after, width)
    raise TypeError(f"unknown block {block!r}")


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
    header = [[_clean(column).replace("\n", " ")] for column in columns]
    body = [[_clean(cell).split("\n") for cell in row] for row in rows]
    widths = [
        max(_width(line) for cell in [header[i], *(row[i] for row in body)] for line in cell)
        for i in range(len(columns))
    ]
    _shrink(widths, width - len(_GAP) * (len(columns) - 1))
    out = _table_row(header, widths)
    out.append(_GAP.join("─" * w for w in widths))
    for row in body:
        out.extend(_table_row(row, widths))
    return "\n".join(out)


def _shrink(widths: list[int], room: int) -> None:
    """Narrow the widest columns first until the table fits (or nothing can shrink)."""
    while sum(widths) > room:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= _MIN_COLUMN:
            return
        widths[widest] -= 1


def _table_row(cells: list[list[str]], widths: list[int]) -> list[str]:
    height = max((len(cell) for cell in cells), default=1)
    return [
        _GAP.join(
            _pad(_fit(cell[i] if i < len(cell) else "", w), w)
            for cell, w in zip(cells, widths, strict=True)
        ).rstrip()
        for i in range(height)
    ]


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
        elif field.initial:
            lines.append(f"{label}: {_clean(field.initial)}")
        else:
            hint = f" ({_clean(field.placeholder)})" if field.placeholder else ""
            lines.append(f"{label}{' (optional)' if field.optional else ''}:{hint}")
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


def _fit(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        if used + _char_width(ch) > width - 1:
            break
        out += ch
        used += _char_width(ch)
    return out + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
