"""Work in a second process: the same result as in this one, a fallback when the child dies, and
no child kept alive when the caller fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from stalking_profile.parallel import can_fork, in_background, in_second_process

PARENT = os.getpid()


def _square_sum(values: list[int]) -> int:
    return sum(v * v for v in values)


def _dies_in_the_child(values: list[int]) -> int:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return _square_sum(values)


needs_fork = pytest.mark.skipif(not can_fork(), reason="a second process needs Linux and two cores")


@needs_fork
def test_the_child_gives_the_result_this_process_would() -> None:
    with in_second_process(_square_sum, list(range(100))) as pending:
        assert pending.forked
        assert pending.result() == _square_sum(list(range(100))) == pending.result()


def _priority() -> int:
    return os.nice(0)


@needs_fork
def test_a_yielding_child_runs_at_a_lower_priority() -> None:
    here = os.nice(0)
    with in_second_process(_priority) as normal, in_second_process(_priority, yielding=True) as yielding:
        assert normal.result() == here and yielding.result() == min(here + 5, 19)
    assert os.nice(0) == here  # this process keeps its own


@needs_fork
def test_a_child_that_dies_leaves_the_work_to_this_process() -> None:
    with in_second_process(_dies_in_the_child, [1, 2, 3]) as pending:
        time.sleep(1.0)  # long enough for the child to have died
        assert pending.forked and not pending.ready()  # asking would do the work here
        assert pending.result() == 14 and pending.ready()


def test_without_a_second_process_the_work_runs_here_when_asked() -> None:
    calls: list[int] = []
    with in_second_process(lambda: calls.append(1) or 5, fork=False) as pending:
        assert not pending.forked and calls == [] and not pending.ready()  # asking would do the work
        assert pending.result() == 5 and pending.result() == 5 and calls == [1] and pending.ready()


@needs_fork
def test_a_childs_result_is_ready_once_the_child_has_finished() -> None:
    with in_second_process(time.sleep, 1.0) as slow, in_second_process(_square_sum, [1, 2]) as quick:
        assert not slow.ready()  # still sleeping: asking would wait
        deadline = time.monotonic() + 30
        while not quick.ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert quick.ready() and not quick.done  # finished, and not yet asked for
        assert quick.result() == 5 and slow.result() is None and slow.ready()


@needs_fork
def test_a_failing_caller_does_not_wait_for_its_child() -> None:
    script = ("import time\nfrom stalking_profile.parallel import in_second_process\n"
              "try:\n    with in_second_process(time.sleep, 30):\n        raise ValueError\n"
              "except ValueError:\n    pass\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert time.perf_counter() - started < 15  # not the child's 30 s


def test_background_work_and_its_failure() -> None:
    done: list[int] = []
    wait = in_background(lambda: done.append(1))
    wait()
    assert done == [1]
    in_background(lambda: 1 / 0)()  # dropped: the caller meets such a failure again where it matters
