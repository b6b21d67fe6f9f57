"""Text objects: escaping for mrkdwn, and cutting to a limit with an ellipsis instead of failing."""

ELLIPSIS = "…"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Make user-supplied text inert in mrkdwn: `<!channel>` or `<@U1>` cannot ping, `&` shows."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def escape_cut(text: str, limit: int) -> str:
    """Escaped `text` within `limit` characters, never splitting an `&…;` entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for char in text:
        piece = _ESCAPES.get(char, char)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def chunks(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def plain(text: str, limit: int) -> dict:
    """A plain_text object: shown literally, so it needs no escaping. Never empty."""
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(escaped_text: str) -> dict:
    """A mrkdwn object around text that the caller has escaped and cut already."""
    return {"type": "mrkdwn", "text": escaped_text or " "}
