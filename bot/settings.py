"""What the Slack surface needs to know, built once by the composition root and passed in."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BotSettings:
    bot_token: str
    signing_secret: str
    api_url: str = "https://slack.com/api/"
    admins: frozenset[str] = field(default_factory=frozenset)
    alert_channel: str | None = None
    app_token: str | None = None  # set: Socket Mode; unset: HTTP on the request URL
    shippers: frozenset[str] = field(default_factory=frozenset)  # may ship, besides admins

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return (
            f"BotSettings(api_url={self.api_url!r}, admins={sorted(self.admins)!r}, "
            f"shippers={sorted(self.shippers)!r}, "
            f"alert_channel={self.alert_channel!r}, socket_mode={self.app_token is not None})"
        )
