"""Logging for the long-running commands: one line per event, key=value, with the operation id.

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
