"""Logging: for the long-running commands one line per event, key=value, with the operation id
(tracebacks included); for the one-shot commands (`fetch`, `exec`) warnings only, each one
line, since their reply already says what went wrong.

Every record starts one line at column 0 and nothing else does: CR and LF inside a message are
written as `\r` and `\n`, and the lines of a traceback are indented. So text from outside (a
request body, a marketplace's answer) cannot forge a log line.
"""

import logging
import sys
from typing import TextIO

from sync.logcontext import OperationFilter

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s op=%(op)s %(message)s"
# Libraries whose INFO lines say nothing an operator needs: apscheduler announces every job it
# adds ("Adding job tentatively") and runs.
QUIET = ("apscheduler",)


class OneLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")

    def formatException(self, ei) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.replace("\r", "\\r").split("\n"))


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(OperationFilter())
    handler.setFormatter(OneLineFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


class _Stderr(logging.StreamHandler):
    """Writes to `sys.stderr` as it is at each record, as logging's own last resort does."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().replace("\r", "\\r").replace("\n", "\\n")
        return f"orderbot: {record.levelname.lower()}: {message}"


def configure_one_shot() -> None:
    handler = _Stderr()
    handler.setFormatter(_OneLine())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
