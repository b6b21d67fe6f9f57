"""The sandbox marketplaces in a process of their own, as the real ones are.

In the benchmark's own process the emulators' work (building and serialising hundreds of
orders a page, signing checks, rate limits) would share one interpreter lock with the client
being measured, and slow it in a way no remote marketplace does. Here they run in a child
process; the parent drives them through a pipe: set-up, then the call records it counts.
"""

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallSeen:
    """One request the emulator answered, as the benchmarks count them."""

    method: str
    path: str
    status: int


def _serve(build: Callable[[], Any], conn) -> None:
    """In the child: build and start the marketplaces, then answer the parent's requests."""
    shops = build()
    try:
        conn.send(shops.environment())
        while True:
            request = conn.recv()
            if request == "stop":
                return
            if request == "reset_calls":
                shops.tiktok.reset_calls()
                shops.etsy.reset_calls()
                conn.send(None)
            elif request in ("tiktok_calls", "etsy_calls"):
                sandbox = shops.tiktok if request == "tiktok_calls" else shops.etsy
                conn.send([CallSeen(c.method, c.path, c.status) for c in sandbox.calls])
            else:
                conn.send(ValueError(f"unknown request {request!r}"))
    finally:
        shops.stop()
        conn.close()


class RemoteShops:
    """`build()` (a picklable, module-level function returning started `Marketplaces`) runs in
    a child process. `environment` is their settings; `calls(platform)` what each answered."""

    def __init__(self, build: Callable[[], Any]):
        context = multiprocessing.get_context("spawn")  # no state of the parent's in the child
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(build, child), daemon=True)
        self._process.start()
        child.close()
        self.environment: dict[str, str] = self._conn.recv()

    def reset_calls(self) -> None:
        self._ask("reset_calls")

    def calls(self, platform: str) -> list[CallSeen]:
        return self._ask(f"{platform}_calls")

    def stop(self) -> None:
        try:
            self._conn.send("stop")
        finally:
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()

    def _ask(self, request: str):
        self._conn.send(request)
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer
