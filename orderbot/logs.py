"""Logging: for the long-running commands one line per event, key=value, with the operation id
(tracebacks included); for the one-shot commands (`fetch`, `exec`) warnings only, each one
line, since their reply already says what went wrong."""

import logging
import sys

from sync.logcontext import OperationFilter

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s op=%(op)s %(message)s"


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(OperationFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


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
        return f"orderbot: {record.levelname.lower()}: {record.getMessage()}"


def configure_one_shot() -> None:
    handler = _Stderr()
    handler.setFormatter(_OneLine())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
