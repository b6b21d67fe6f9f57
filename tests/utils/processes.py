"""`orderbot` as a real process: the installed entry point, and `orderbot run` in HTTP mode on
a port it binds itself (PORT=0) and logs, so no port is chosen before it is bound."""

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "orderbot"
_LISTENING = re.compile(rb"listening on port (\d+)")
_METRICS = re.compile(rb"serving GET /metrics at (http://\S+)/metrics")


def until(predicate, what: str, timeout: float = 30.0):
    """The predicate's first truthy value, polled until the deadline (then the test fails)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)  # polling a condition with a deadline, not asserting after a sleep
    return value


class OrderbotRun:
    """`orderbot run` with `env`, started in `cwd` (so no stray .env is read). Its output goes
    to a file: an undrained pipe would stall the bot."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str = "run"):
        self.name = name
        self.log_path = Path(cwd) / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN), "run"],
                # Both ports bound by the process itself: runs side by side never collide.
                env={"ORDERBOT_METRICS_PORT": "0", **env, "PORT": "0"},
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.base = ""  # http://127.0.0.1:<port> once it serves
        self.metrics = ""  # where GET /metrics is served (a port of its own), once it serves

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def _alive(self) -> None:
        assert self.process.poll() is None, f"{self.name} exited:\n{self.log()}"

    def _port(self) -> int | None:
        self._alive()
        found = _LISTENING.search(self.log_path.read_bytes())
        return int(found.group(1)) if found else None

    def healthy(self) -> bool:
        self._alive()
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def serving(self, timeout: float = 30.0) -> "OrderbotRun":
        """Wait until it has logged its port and /healthz answers 200."""
        self.base = f"http://127.0.0.1:{until(self._port, f'{self.name} to bind', timeout)}"
        until(self.healthy, f"{self.name} to serve /healthz", timeout)
        found = _METRICS.search(self.log_path.read_bytes())
        self.metrics = found.group(1).decode() if found else ""
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
