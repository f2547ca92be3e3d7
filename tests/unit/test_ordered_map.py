"""resources/ordered_map: results in the items' order whatever thread finishes first, a bounded number of items
taken ahead of the consumer, an item's error raised at its place."""

import threading
import time

import pytest

from resources.ordered_map import ordered_map


def test_results_come_in_the_items_order_on_several_threads():
    threads = set()

    def slow_first(n: int) -> int:
        threads.add(threading.get_ident())
        time.sleep(0.05 if n % 3 == 0 else 0.0)   # later items finish before earlier ones
        return n * n

    assert list(ordered_map(slow_first, range(12), workers=3)) == [n * n for n in range(12)]
    assert threading.get_ident() not in threads and len(threads) > 1


def test_one_worker_runs_in_the_callers_thread():
    assert list(ordered_map(lambda n: threading.get_ident(), range(3), workers=1)) == [threading.get_ident()] * 3


def test_no_more_than_ahead_items_are_taken_before_the_consumer_asks():
    taken = []

    def items():
        for n in range(20):
            taken.append(n)
            yield n

    results = ordered_map(lambda n: n, items(), workers=2, ahead=3)
    assert next(results) == 0 and len(taken) == 3   # the first result is yielded once three were taken
    assert next(results) == 1 and len(taken) == 4
    results.close()
    assert len(taken) == 4


def test_an_items_error_is_raised_at_its_place():
    def broken_at_two(n: int) -> int:
        if n == 2:
            raise ValueError("cut-out 2 unreadable")
        return n

    results = ordered_map(broken_at_two, range(6), workers=2)
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(ValueError, match="cut-out 2"):
        next(results)
