"""Deadlines that a shared fetch or a slow server cannot stretch: single-flight waiters and response heads."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from cosign_verify._internal.deadline import deadline_scope
from cosign_verify._internal.failure import Failure, FailureReason
from cosign_verify.errors import DeadlineError, StoreError
from cosign_verify.store.singleflight import SingleFlight
from cosign_verify.store.watchdog import Watchdog


def _in_thread(flight: SingleFlight, key: str, work: object, seconds: float) -> dict[str, object]:
    """Run ``flight.do(key, work)`` in a thread within a deadline of ``seconds``; its outcome when done."""
    outcome: dict[str, object] = {}

    def run() -> None:
        with deadline_scope(seconds):
            try:
                outcome["result"] = flight.do(key, work)  # type: ignore[arg-type]
            except BaseException as exc:  # recorded for the assertion
                outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def test_a_waiter_stops_at_its_own_deadline() -> None:
    flight, release = SingleFlight(), threading.Event()
    leader = _in_thread(flight, "k", lambda: release.wait(10) and "slow", 10.0)
    time.sleep(0.05)
    started = time.monotonic()
    with deadline_scope(0.2), pytest.raises(DeadlineError, match="waiting for another"):
        flight.do("k", lambda: "never run")
    assert time.monotonic() - started < 1.0
    release.set()
    leader["thread"].join(5)  # type: ignore[attr-defined]
    assert leader["result"] == "slow"


def test_a_waiter_shares_the_result() -> None:
    flight, release, runs = SingleFlight(), threading.Event(), []

    def work() -> str:
        runs.append(1)
        release.wait(5)
        return "shared"

    leader = _in_thread(flight, "k", work, 5.0)
    time.sleep(0.05)
    waiter = _in_thread(flight, "k", work, 5.0)
    time.sleep(0.05)
    release.set()
    for outcome in (leader, waiter):
        outcome["thread"].join(5)  # type: ignore[attr-defined]
        assert outcome["result"] == "shared"
    assert len(runs) == 1


@pytest.mark.parametrize(
    "out_of_time",
    [DeadlineError("leader's deadline"), Failure(FailureReason.DEADLINE_EXCEEDED, "leader's deadline")],
)
def test_a_patient_waiter_runs_the_work_when_the_hasty_leader_ran_out_of_time(out_of_time: Exception) -> None:
    flight, release = SingleFlight(), threading.Event()

    def hasty() -> str:
        release.wait(5)
        raise out_of_time

    leader = _in_thread(flight, "k", hasty, 5.0)
    time.sleep(0.05)
    waiter = _in_thread(flight, "k", lambda: "done by the waiter", 5.0)
    time.sleep(0.05)
    release.set()
    waiter["thread"].join(5)  # type: ignore[attr-defined]
    leader["thread"].join(5)  # type: ignore[attr-defined]
    assert waiter["result"] == "done by the waiter"
    assert leader["error"] is out_of_time


def test_other_errors_are_shared() -> None:
    flight, release = SingleFlight(), threading.Event()
    broken = StoreError("the registry said no")

    def fails() -> str:
        release.wait(5)
        raise broken

    leader = _in_thread(flight, "k", fails, 5.0)
    time.sleep(0.05)
    waiter = _in_thread(flight, "k", lambda: "never run", 5.0)
    time.sleep(0.05)
    release.set()
    waiter["thread"].join(5)  # type: ignore[attr-defined]
    leader["thread"].join(5)  # type: ignore[attr-defined]
    assert waiter["error"] is broken


def test_patience_bounds_a_waiter_outside_any_verification() -> None:
    flight, release = SingleFlight(patience=0.2, expired=lambda: TimeoutError("gave up")), threading.Event()
    leader = _in_thread(flight, "k", lambda: release.wait(10), 10.0)
    time.sleep(0.05)
    with pytest.raises(TimeoutError, match="gave up"):
        flight.do("k", lambda: "never run")
    release.set()
    leader["thread"].join(5)  # type: ignore[attr-defined]


# --- the response-head watchdog -----------------------------------------------------------------------------------


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def test_a_read_past_the_deadline_is_cut_off(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, _ = pair
    reader.settimeout(10)  # a read timeout alone would wait this long
    watchdog = Watchdog()
    started = time.monotonic()
    with watchdog.watch(reader, time.monotonic() + 0.2):
        assert reader.recv(10) == b""  # the watchdog shut the socket down
    assert time.monotonic() - started < 2.0
    assert watchdog.fired == 1


def test_a_read_in_time_is_left_alone(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    watchdog = Watchdog()
    for _ in range(200):  # finished watches are dropped, never fired
        with watchdog.watch(reader, time.monotonic() + 0.2):
            writer.sendall(b"x")
            assert reader.recv(1) == b"x"
    time.sleep(0.4)
    writer.sendall(b"still open")
    assert reader.recv(20) == b"still open"
    assert watchdog.fired == 0
