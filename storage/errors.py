"""Errors about the settings a layer was given, raised wherever they are found out.

The entry points (`orderbot` commands) answer a `ConfigError` with its message on one line, no
traceback: the message names the setting and says what to do.
"""


class ConfigError(Exception):
    """Settings that cannot work; the message says which and why."""
