"""resources/background_writer.py: ordered work on one thread, bounded, its first error raised to the producer, a
clean stop on success, on error and on interruption (the frames stage's JPEG writes and its handoff use it)."""

import threading
import time

import pytest

from resources.background_writer import BackgroundWriter


def _threads(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_items_run_in_the_order_submitted_on_one_thread_of_their_own():
    done, threads = [], set()

    def work(item: int) -> None:
        time.sleep(0.002 if item % 7 == 0 else 0)  # uneven work: order must not follow speed
        threads.add(threading.current_thread().name)
        done.append(item)

    with BackgroundWriter(work, 3, "ordered") as writer:
        for item in range(200):
            assert writer.submit(item)
    assert done == list(range(200)) and threads == {"ordered"}
    assert not writer.alive and not _threads("ordered")


def test_the_producer_waits_while_bound_items_are_not_done():
    release, started, done = threading.Event(), threading.Event(), []

    def work(item: int) -> None:
        started.set()
        release.wait(5)
        done.append(item)

    writer = BackgroundWriter(work, 4, "bounded")
    for item in range(4):  # the first runs and blocks; three wait: four not done, the bound
        assert writer.submit(item)
    assert started.wait(5)
    fifth = threading.Thread(target=writer.submit, args=(4,), name="fifth_submit")
    fifth.start()
    fifth.join(0.3)
    assert fifth.is_alive() and done == []  # held back: four items are not done
    release.set()
    fifth.join(5)
    assert not fifth.is_alive()
    writer.finish()
    assert done == [0, 1, 2, 3, 4] and not writer.alive


def test_the_first_error_reaches_the_producer_naming_the_item_and_the_items_after_it_are_dropped(tmp_path):
    done = []

    def work(target) -> None:
        if target.name == "3.jpg":
            raise OSError(f"could not write {target}")
        done.append(target.name)

    writer = BackgroundWriter(work, 2, "failing", describe=str)
    with pytest.raises(OSError, match=r"could not write .*3\.jpg") as raised:
        for item in range(100):  # the error is raised by a later submit, well before the hundredth
            writer.submit(tmp_path / f"{item}.jpg")
            time.sleep(0.001)
    assert any("failing" in note and "3.jpg" in note for note in raised.value.__notes__)
    with pytest.raises(OSError, match="3.jpg"):  # and again by finish: nothing is committed on a failed write
        writer.finish()
    assert done == ["0.jpg", "1.jpg", "2.jpg"] and not writer.alive and not _threads("failing")


def test_an_error_raised_after_the_last_submit_is_raised_by_finish():
    def work(item: int) -> None:
        if item == 9:
            raise ValueError("the last item is bad")

    writer = BackgroundWriter(work, 16, "late_error")
    for item in range(10):
        writer.submit(item)
    with pytest.raises(ValueError, match="the last item is bad"):
        writer.finish()
    assert not writer.alive


def test_stop_drops_the_items_not_started_and_ends_the_thread():
    release, started, done = threading.Event(), threading.Event(), []

    def work(item: int) -> None:
        started.set()
        release.wait(5)
        done.append(item)

    writer = BackgroundWriter(work, 8, "stopped")
    for item in range(8):
        writer.submit(item)
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    writer.stop()  # the item under way ends, the other seven are dropped
    assert done == [0] and not writer.alive and not _threads("stopped")
    assert writer.submit(99) is False and done == [0]  # a producer still winding down: dropped, no error
    writer.stop()
    writer.finish()  # both again: nothing more to do


def test_an_interrupted_producer_leaves_no_thread_behind():
    done = []

    def work(item: int) -> None:
        time.sleep(0.01)
        done.append(item)

    with pytest.raises(KeyboardInterrupt):
        with BackgroundWriter(work, 4, "interrupted") as writer:
            for item in range(100):
                writer.submit(item)
                if item == 20:
                    raise KeyboardInterrupt
    assert not writer.alive and not _threads("interrupted")
    assert done == list(range(len(done))) and 16 <= len(done) <= 21  # in order; the queued ones dropped


def test_finish_waits_for_every_item_and_a_later_submit_is_refused():
    done = []
    writer = BackgroundWriter(lambda item: (time.sleep(0.001), done.append(item)), 2, "finished")
    for item in range(30):
        writer.submit(item)
    writer.finish()
    assert done == list(range(30)) and not writer.alive
    with pytest.raises(RuntimeError, match="after finish"):
        writer.submit(30)
    unused = BackgroundWriter(done.append, 1, "unused")
    unused.finish()  # no item: no thread was started
    assert not unused.alive and not _threads("unused")
    with pytest.raises(ValueError, match="bound"):
        BackgroundWriter(done.append, 0, "unbounded")
