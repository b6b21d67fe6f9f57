"""Logging for the long-running commands: one line per event, key=value, with the operation id."""

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
