import random
import threading
from datetime import UTC, datetime

import httpx
import pytest

from sync.errors import Unavailable
from sync.http import MAX_RETRY_AFTER_S, Backoff, RateLimiter, Retrier, Retry, Turns, retry_after
from tests.utils.fakes import CeilingRandom, FakeTime
from tests.utils.processes import until


def test_rate_limiter_never_exceeds_the_rate():
    time = FakeTime()
    limiter = RateLimiter(10, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for _ in range(45):
        limiter.acquire()
        starts.append(time.now)
    # Any 11 consecutive calls span at least a second: never more than 10 in one.
    spans = [later - earlier for earlier, later in zip(starts, starts[10:], strict=False)]
    assert min(spans) >= 1.0 - 1e-9
    assert starts[-1] == pytest.approx(4.4)


def test_rate_limiter_does_not_wait_when_calls_are_spaced():
    time = FakeTime()
    limiter = RateLimiter(10, monotonic=time.monotonic, sleep=time.sleep)
    assert limiter.acquire() == 0
    time.now += 0.5
    assert limiter.acquire() == 0
    assert time.sleeps == []


def test_rate_limiter_gives_concurrent_callers_distinct_slots():
    limiter = RateLimiter(100, monotonic=lambda: 0.0, sleep=lambda seconds: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            waited = limiter.acquire()
            with lock:
                waits.append(waited)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([slot / 100 for slot in range(100)])


def test_pause_until_holds_back_the_next_call():
    time = FakeTime()
    limiter = RateLimiter(50, monotonic=time.monotonic, sleep=time.sleep)
    limiter.acquire()
    limiter.pause_until(3.0)
    assert limiter.acquire() == 3.0
    assert time.sleeps == [3.0]


def test_backoff_doubles_up_to_the_cap_with_full_jitter():
    assert [Backoff(CeilingRandom(), base=0.5, cap=5.0).delay(n) for n in range(1, 7)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        5.0,
        5.0,
    ]
    seeded = Backoff(random.Random(7), base=0.5, cap=30.0)
    delays = [seeded.delay(4) for _ in range(50)]
    assert all(0 <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 1  # jittered, not fixed


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        (" 30 ", 30.0),
        ("0", 0.5),  # floored: a stream of "0" must not spend every attempt at once
        ("0.1", 0.5),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("", None),
        (None, None),
        # the HTTP-date form, counted from the caller's clock
        ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
        ("Sat, 01 Mar 2025 12:02:00 -0000", 120.0),
        ("Sat, 01 Mar 2025 11:59:00 GMT", 0.5),  # already past: floored
        ("Saturday, 01-Mar-25 12:00:10 GMT", 10.0),  # RFC 850, still allowed
        ("Sat, 99 Mar 2025 12:00:30 GMT", None),
    ],
)
def test_retry_after(value, seconds):
    headers = httpx.Headers({} if value is None else {"retry-after": value})
    assert retry_after(headers, now=NOW) == seconds


def make_retrier(handler, *, time: FakeTime, max_attempts=4, calls=None, **kwargs) -> Retrier:
    return Retrier(
        platform="tiktok",
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        limiter=RateLimiter(1000, monotonic=time.monotonic, sleep=time.sleep),
        backoff=Backoff(CeilingRandom(), base=0.5, cap=30.0),
        max_attempts=max_attempts,
        sleep=time.sleep,
        monotonic=time.monotonic,
        on_call=None if calls is None else lambda *call: calls.append(call),
        **kwargs,
    )


def read_ok(response: httpx.Response) -> str:
    if response.status_code >= 500:
        raise Retry(f"HTTP {response.status_code}", status=response.status_code)
    return response.text


def call(retrier: Retrier) -> str:
    return retrier.call("ping", lambda: httpx.Request("GET", "https://api.test/ping"), read_ok)


def test_timeouts_and_connection_resets_are_retried_then_succeed():
    failures = [httpx.ReadTimeout("slow"), httpx.ReadError("connection reset by peer")]
    calls: list[tuple[str, str, str]] = []

    def handler(request):
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, text="pong")

    time = FakeTime()
    assert call(make_retrier(handler, time=time, calls=calls)) == "pong"
    assert time.sleeps == [0.5, 1.0]
    assert calls == [
        ("tiktok", "ping", "timeout"),
        ("tiktok", "ping", "network"),
        ("tiktok", "ping", "200"),
    ]


def test_the_budget_is_capped_then_unavailable():
    attempts = []

    def handler(request):
        attempts.append(request)
        return httpx.Response(503)

    time = FakeTime()
    with pytest.raises(Unavailable) as raised:
        call(make_retrier(handler, time=time, max_attempts=4))
    assert len(attempts) == 4
    assert time.sleeps == [0.5, 1.0, 2.0]
    assert raised.value.status == 503
    assert "gave up after 4 attempts" in raised.value.message


def answers_then_ok(statuses: list[int]):
    """A handler answering each status in turn (429s with `Retry-After: 1`), then 200; and
    a reader that turns them into Retry (429s as unprocessed)."""
    answers = list(statuses)

    def handler(request):
        if answers:
            status = answers.pop(0)
            return httpx.Response(status, headers={"retry-after": "1"} if status == 429 else {})
        return httpx.Response(200, text="done")

    def read(response):
        if response.status_code == 429:
            raise Retry("rate limited", after=1.0, status=429, unprocessed=True)
        return read_ok(response)

    return handler, read


def test_a_reads_429s_do_not_use_up_the_attempts_its_failures_have():
    # 3 failures and 3 refusals, with 4 attempts: a read has 4 of each, so the 7th answers.
    handler, read = answers_then_ok([429, 503, 429, 503, 429, 503])
    time = FakeTime()
    retrier = make_retrier(handler, time=time, max_attempts=4)
    got = retrier.call("ping", lambda: httpx.Request("GET", "https://api.test/ping"), read)
    assert got == "done"
    assert len(time.sleeps) == 6

    # Either budget spent alone still ends it: the 4th refusal in a row.
    handler, read = answers_then_ok([503, 429, 429, 429, 429])
    with pytest.raises(Unavailable, match="gave up after 5 attempts: rate limited"):
        make_retrier(handler, time=FakeTime(), max_attempts=4).call(
            "ping", lambda: httpx.Request("GET", "https://api.test/ping"), read
        )


def test_a_call_that_is_not_idempotent_counts_its_429s_with_its_failures():
    # Its claim is timed by the longest call there can be (LONGEST_CALL): one budget.
    handler, read = answers_then_ok([429, 429, 429, 429])
    with pytest.raises(Unavailable, match="gave up after 4 attempts"):
        post(make_retrier(handler, time=FakeTime(), max_attempts=4), read)


def test_a_retry_after_beyond_the_cap_is_not_waited_for():
    def handler(request):
        return httpx.Response(429)

    def read(response):
        raise Retry("rate limited", after=3600.0, status=429)

    time = FakeTime()
    retrier = make_retrier(handler, time=time)
    with pytest.raises(Unavailable, match="retry after 3600s"):
        retrier.call("ping", lambda: httpx.Request("GET", "https://api.test/ping"), read)
    assert time.sleeps == []


def always_429(after: str):
    def handler(request):
        return httpx.Response(429, headers={"retry-after": after})

    def read(response):
        raise Retry("rate limited", after=retry_after(response.headers, now=NOW), status=429)

    return handler, read


def test_a_retry_after_of_zero_is_waited_for_a_little_each_time():
    handler, read = always_429("0")
    time = FakeTime()
    with pytest.raises(Unavailable, match="gave up after 4 attempts"):
        make_retrier(handler, time=time).call(
            "ping", lambda: httpx.Request("GET", "https://api.test/ping"), read
        )
    assert time.sleeps == [0.5, 0.5, 0.5]


def test_etsy_sized_retry_afters_are_waited_for_beyond_the_backoff_cap():
    answers = [httpx.Response(429, headers={"retry-after": "60"}), httpx.Response(200, text="ok")]

    def read(response):
        if response.status_code == 429:
            raise Retry("rate limited", after=retry_after(response.headers), status=429)
        return response.text

    time = FakeTime()
    retrier = make_retrier(lambda request: answers.pop(0), time=time)
    assert retrier.call("ping", lambda: httpx.Request("GET", "https://api.test/ping"), read) == "ok"
    assert time.sleeps == [60.0]
    assert 60.0 < MAX_RETRY_AFTER_S < 3600


def test_the_retry_after_cap_can_be_set():
    handler, read = always_429("60")
    time = FakeTime()
    retrier = make_retrier(handler, time=time, max_retry_after=30.0)
    with pytest.raises(Unavailable, match="retry after 60s"):
        retrier.call("ping", lambda: httpx.Request("GET", "https://api.test/ping"), read)
    assert time.sleeps == []


def post(retrier: Retrier, read=read_ok) -> str:
    return retrier.call(
        "cancel",
        lambda: httpx.Request("POST", "https://api.test/cancel"),
        read,
        idempotent=False,
    )


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected"),
        503,
    ],
)
def test_a_call_that_is_not_idempotent_is_tried_once_when_it_may_have_landed(failure):
    attempts = []

    def handler(request):
        attempts.append(request)
        if isinstance(failure, int):
            return httpx.Response(failure)
        raise failure

    time = FakeTime()
    with pytest.raises(Unavailable, match="cancel: .*not retried"):
        post(make_retrier(handler, time=time))
    assert len(attempts) == 1 and time.sleeps == []


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route")]
)
def test_a_call_that_is_not_idempotent_is_retried_when_it_never_left(failure):
    failures = [failure]

    def handler(request):
        if failures:
            raise failures.pop(0)
        return httpx.Response(200, text="done")

    time = FakeTime()
    assert post(make_retrier(handler, time=time)) == "done"
    assert time.sleeps == [0.5]


def test_a_call_that_is_not_idempotent_is_retried_when_refused_unprocessed():
    answers = [httpx.Response(429, headers={"retry-after": "2"}), httpx.Response(200, text="done")]

    def read(response):
        if response.status_code == 429:
            raise Retry("rate limited", after=2.0, status=429, unprocessed=True)
        return response.text

    time = FakeTime()
    assert post(make_retrier(lambda request: answers.pop(0), time=time), read) == "done"
    assert time.sleeps == [2.0]


def test_after_a_429_the_first_in_line_meets_the_refusals_and_the_others_wait():
    # Three reads in flight together are refused at once, then the server refuses two more
    # requests. The first in line keeps its turn through both; the others spend nothing
    # meanwhile (with a turn per attempt, the refusals would fall on whoever's turn it was).
    together = threading.Barrier(3, timeout=10)
    refusals = [429, 429, 429, 429, 429]
    lock = threading.Lock()
    attempts: dict[str, int] = {}

    def handler(request):
        who = request.url.params["who"]
        with lock:
            attempts[who] = attempts.get(who, 0) + 1
            retried = attempts[who] > 1
            if retried:  # the first retry is answered once all three are in line
                until(lambda: retrier._probe.asked >= 3, "all three in line")
            status = refusals.pop(0) if refusals else 200
        if not retried:
            together.wait()  # none is answered before all three were refused
        return httpx.Response(status, headers={"retry-after": "1"}, text=who)

    def read(response):
        if response.status_code == 429:
            raise Retry("rate limited", after=1.0, status=429)
        return response.text

    retrier = make_retrier(handler, time=FakeTime(), max_attempts=4)
    answers: dict[str, str] = {}

    def read_as(who: str) -> None:
        url = f"https://api.test/ping?who={who}"
        answers[who] = retrier.call("ping", lambda: httpx.Request("GET", url), read)

    threads = [threading.Thread(target=read_as, args=(who,)) for who in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert answers == {"a": "a", "b": "b", "c": "c"}
    assert sorted(attempts.values()) == [2, 2, 4]


def test_the_first_in_line_waits_for_the_calls_sent_before_the_line_formed():
    # A call sent before the 429 is still under way: the retry of the call that met the 429
    # waits until it is answered, so the server's next answers are the retry's alone.
    slow_in, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def handler(request):
        who = request.url.params["who"]
        if who == "slow":
            slow_in.set()
            release.wait(timeout=10)
            seen.append("slow answered")
            return httpx.Response(200, text=who)
        seen.append("refused" if not seen.count("refused") else "retried")
        status = 429 if seen[-1] == "refused" else 200
        return httpx.Response(status, headers={"retry-after": "1"}, text=who)

    def read(response):
        if response.status_code == 429:
            raise Retry("rate limited", after=1.0, status=429)
        return response.text

    retrier = make_retrier(handler, time=FakeTime())
    answers: dict[str, str] = {}

    def read_as(who: str) -> None:
        url = f"https://api.test/ping?who={who}"
        answers[who] = retrier.call("ping", lambda: httpx.Request("GET", url), read)

    slow = threading.Thread(target=read_as, args=("slow",))
    slow.start()
    assert slow_in.wait(timeout=10)
    fast = threading.Thread(target=read_as, args=("fast",))
    fast.start()
    until(lambda: retrier._probe.asked == 1, "the refused call to take its turn")
    fast.join(timeout=0.2)  # time enough for a retry that did not wait to be sent
    release.set()
    for thread in (slow, fast):
        thread.join(timeout=10)

    assert answers == {"slow": "slow", "fast": "fast"}
    assert seen == ["refused", "slow answered", "retried"]


def test_turns_after_a_429_are_served_first_come_first_served():
    # Calls that met a 429 retry one at a time, in the order they asked: none is starved by
    # the others while the server lets only some through.
    turns = Turns()
    turns.take()  # a call's turn under way
    served: list[str] = []

    def retry(name: str) -> None:
        turns.take()
        served.append(name)
        turns.done()

    waiting = []
    for name in ("first", "second", "third"):
        waiting.append(threading.Thread(target=retry, args=(name,)))
        waiting[-1].start()
        until(lambda n=len(waiting): turns.asked == n + 1, f"{name} asked for its turn")
    turns.done()
    for thread in waiting:
        thread.join(timeout=10)

    assert served == ["first", "second", "third"]
