"""Log lines as `orderbot run` writes them: a forged newline cannot start a line of its own."""

import io
import logging
import re

import pytest

from orderbot import logs

LINE_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} level=")


@pytest.fixture
def written():
    """`logs.configure` on a buffer; the root logger and quieted loggers restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET}
    buffer = io.StringIO()
    logs.configure(logging.INFO, stream=buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_a_forged_newline_stays_inside_its_line(written):
    forged = "text\n2099-01-01 00:00:00,000 level=ERROR logger=orderbot.security op=- FORGED\rX"
    logging.getLogger("orderbot.test").warning("body: %s", forged)
    (line,) = lines(written)
    assert LINE_START.match(line) and "FORGED" in line
    assert "\\n2099-01-01" in line and "\\rX" in line


def test_a_traceback_is_indented_under_its_line(written):
    try:
        raise ValueError("bad\n2099-01-01 00:00:00,000 level=ERROR FORGED")
    except ValueError:
        logging.getLogger("orderbot.test").exception("it failed")
    first, *rest = lines(written)
    assert LINE_START.match(first) and first.endswith("it failed")
    assert rest and all(line.startswith("    ") for line in rest)
    assert any("FORGED" in line for line in rest)


def test_apscheduler_info_is_quiet_and_its_warnings_are_not(written):
    logging.getLogger("apscheduler.scheduler").info("Adding job tentatively")
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    (line,) = lines(written)
    assert "missed" in line
