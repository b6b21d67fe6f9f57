"""What a marketplace call can end in, for both platforms.

    MarketplaceError      .platform ("tiktok" | "etsy"), .message, .code, .status, .request_id
     ├── Unavailable      the platform did not answer usefully within the retry budget
     │                    (timeouts, connection errors, 5xx, 429, malformed JSON, TikTok
     │                    36009002 / 36009003 / 36009007), or answered something unreadable
     ├── AuthFailed       credentials or tokens refused, and a token refresh could not fix it
     └── Rejected         the platform understood the request and refused it (a business rule);
                          `.message` is the platform's own words

Callers branch on the class; the attributes are for reports and logs. None of them ever holds a
token, a secret or a signature. Any other error (a bug, a database error, a bad setting) is
reported by `one_line`.
"""

ONE_LINE_MAX = 300  # a database error's text goes on with the whole statement and its values


class MarketplaceError(Exception):
    def __init__(
        self,
        platform: str,
        message: str,
        *,
        code: int | str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.platform = platform
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        details = [
            f"{name} {value}"
            for name, value in (
                ("code", self.code),
                ("HTTP", self.status),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{self.platform}: {self.message}{suffix}"


class Unavailable(MarketplaceError):
    pass


class AuthFailed(MarketplaceError):
    pass


class Rejected(MarketplaceError):
    pass


def one_line(exc: BaseException) -> str:
    """An error nobody planned for, for a reply or a status line: its type and the first line
    of its text, cut short (the log keeps the traceback)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= ONE_LINE_MAX else text[: ONE_LINE_MAX - 1] + "…"
