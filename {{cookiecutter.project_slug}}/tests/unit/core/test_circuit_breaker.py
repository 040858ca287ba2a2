"""The breaker's states, on a clock the test moves."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.http_client import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def opened(clock: Clock) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold=3, reset_seconds=10, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()
    return breaker


def test_only_consecutive_failures_open_it() -> None:
    breaker = CircuitBreaker(threshold=3, reset_seconds=10, clock=Clock())
    for _ in range(5):
        breaker.failed()
        breaker.failed()
        breaker.succeeded()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_open_it_refuses_calls_until_the_reset_time() -> None:
    clock = Clock()
    breaker = opened(clock)

    clock.now = 9.9
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.seconds_until_trial() > 0


def test_half_open_it_lets_one_trial_through_at_a_time() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10

    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()


def test_a_bad_trial_opens_it_again() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10
    assert breaker.allow()

    breaker.failed()

    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()


def test_a_good_trial_closes_it() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10
    assert breaker.allow()

    breaker.succeeded()

    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_an_abandoned_trial_frees_the_slot_for_the_next() -> None:
    clock = Clock()
    breaker = opened(clock)
    clock.now = 10
    assert breaker.allow()

    breaker.abandoned()

    assert breaker.allow()
