"""An operation id (one per fetch, command or webhook) on every log line written while it runs."""

import contextlib
import contextvars
import logging
import uuid
from collections.abc import Iterator

_current: contextvars.ContextVar[str] = contextvars.ContextVar("orderbot_operation", default="-")


@contextlib.contextmanager
def operation(kind: str) -> Iterator[str]:
    """Tag the log lines of this block (and of threads started with its context)."""
    op_id = f"{kind}-{uuid.uuid4().hex[:10]}"
    token = _current.set(op_id)
    try:
        yield op_id
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


class OperationFilter(logging.Filter):
    """Adds `record.op`; install it on handlers so every line carries the id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.op = _current.get()
        return True
