"""Work done in a second process while the caller goes on: these machines have two cores.

A profile's slow parts that need nothing but data already in memory (reading MO texts, the hot-spot
overlap statistics) can run in a forked child while the parent builds other tables. The child
gets its arguments and returns its result (both pickled); it touches no store, file or
connection, so the parent's open DuckDB or PostgreSQL connection is never used from two
processes. Where a second process is not worth it or not safe (one core; not Linux: Windows has no
``fork``, and macOS's is unsafe once threads exist), the work runs in the caller's process when its
result is asked for: same result.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

__all__ = ["Pending", "can_fork", "import_in_background", "in_background", "in_second_process"]

T = TypeVar("T")


class Pending(Generic[T]):
    """A result to come: :meth:`result` waits for it (or computes it) and keeps it."""

    def __init__(self, get: Callable[[], T], forked: bool, ready: Callable[[], bool] | None = None) -> None:
        self._get, self.forked, self._ready = get, forked, ready
        self.done = False
        self._value: T | None = None

    def ready(self) -> bool:
        """Whether :meth:`result` would give the result without waiting for a child (work left to
        this process is never ready: it is done when asked for)."""
        return self.done or (self._ready is not None and self._ready())

    def result(self) -> T:
        if not self.done:
            self._value, self.done = self._get(), True
        return self._value  # type: ignore[return-value]


#: How far a yielding child lowers its priority (``nice``; 0 is normal, 19 the lowest).
_YIELD = 5


def _lower_priority() -> None:
    os.nice(_YIELD)


def can_fork() -> bool:
    """Whether a second process is worth starting: two cores or more for this process, on Linux,
    where ``fork`` is the default start method (macOS offers it but it is unsafe there once
    threads exist; Windows has none)."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return len(os.sched_getaffinity(0)) > 1 and not multiprocessing.current_process().daemon


def _from_child(future: Future[T], fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    """The child's result; if the child died (killed for memory, say), the work done here instead."""
    try:
        return future.result()
    except BrokenProcessPool:
        return fn(*args)


@contextmanager
def in_second_process(fn: Callable[..., T], *args: Any, fork: bool = True, yielding: bool = False
                      ) -> Iterator[Pending[T]]:
    """Start ``fn(*args)`` in a forked child (``fork`` and :func:`can_fork`), or leave it to run in
    this process when asked for. A child that cannot be started, or dies, leaves the work to this
    process; a child whose result is never asked for (the caller failed) is stopped on the way out.
    A ``yielding`` child runs at a lower priority: where the cores are all busy, work whose result
    is wanted sooner goes first.

    Examples
    --------
    >>> with in_second_process(sum, [1, 2, 3]) as pending:
    ...     pending.result()
    6
    >>> with in_second_process(sum, [1, 2, 3], fork=False) as pending:
    ...     pending.forked, pending.result()
    (False, 6)
    """
    if not (fork and can_fork()):
        yield Pending(lambda: fn(*args), forked=False)
        return
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                               initializer=_lower_priority if yielding else None)
    future: Future[T] | None = None
    gc.freeze()  # the child's collector then leaves the parent's objects alone: fewer pages copied
    try:
        future = pool.submit(fn, *args)
    except OSError:  # no memory or processes left to fork with
        pool.shutdown(wait=False, cancel_futures=True)
    finally:
        gc.unfreeze()
    if future is None:
        yield Pending(lambda: fn(*args), forked=False)
        return
    started = future
    # a child that died leaves its work to this process: its result is not ready then
    pending = Pending(lambda: _from_child(started, fn, args), forked=True,
                      ready=lambda: started.done() and started.exception() is None)
    try:
        yield pending
    finally:
        if not pending.done:  # the caller failed: do not keep the process alive for a result nobody wants
            processes = getattr(pool, "_processes", None) or {}  # the executor's own (private) table
            for process in list(processes.values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


def in_background(fn: Callable[[], object], name: str = "background") -> Callable[[], None]:
    """Run ``fn()`` in a thread (for work that waits on I/O or on code that releases the GIL);
    returns the function that waits for it to end. An exception in ``fn`` is dropped: use this
    only for work whose failure the caller meets again where it matters.

    Examples
    --------
    >>> done = in_background(lambda: sum(range(10)))
    >>> done()
    """
    def run() -> None:
        try:
            fn()
        except Exception:  # the caller meets the failure again where it matters
            return

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread.join


def import_in_background(*modules: str) -> Callable[[], None]:
    """Start importing ``modules`` in a thread (esda and the libraries under it take over a second)
    while the caller waits on its database; returns the function that waits for the imports to end.

    Call it before forking: a child forked while a module is half imported could not import it.
    An import that fails here fails again, with its message, where the module is used.

    Examples
    --------
    >>> done = import_in_background("json")
    >>> done()
    """
    return in_background(lambda: [importlib.import_module(name) for name in modules], "imports")
