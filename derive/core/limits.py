"""Bounds on a check: wall-clock time in any thread, and memory.

A check can run in the main thread (the command line) or in a grader's worker thread
(the Python API).  Signals reach only the main thread, so the time limit is a watchdog
thread that raises :class:`TimeLimitError` inside the checking thread at its next Python
instruction (``PyThreadState_SetAsyncExc``), again every fraction of a second until the
check has ended, in case some library code swallowed it.  The executor's arrays are
bounded per statement; the memory budget bounds what one check allocates in all.
"""
from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager

from derive.core.errors import LimitError, TimeLimitError

MEMORY_BUDGET = 1 << 30          # bytes of arrays one check may allocate (1 GiB)


class _Deadline(TimeLimitError):
    """Raised asynchronously in the checking thread: the class is all that travels."""

    seconds = None

    def __init__(self, *args):
        super().__init__(*(args or ("the check took longer than its time limit and was "
                                    "stopped",)))


def _raise_in(thread_id: int, exc_type) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc_type)
                                               if exc_type is not None else None)


@contextmanager
def time_limit(seconds: float | None):
    """Raise TimeLimitError in this thread once `seconds` have passed (None or 0: none)."""
    if not seconds:
        yield
        return
    tid = threading.get_ident()
    done = threading.Event()
    lock = threading.Lock()
    deadline = type("Deadline", (_Deadline,), {
        "__init__": lambda self, *a: _Deadline.__init__(
            self, *(a or (f"the check took longer than {seconds:g} s and was stopped",)))})

    def watch():
        if done.wait(seconds):
            return
        while True:
            with lock:
                if done.is_set():
                    return
                _raise_in(tid, deadline)
            if done.wait(0.25):
                return

    watcher = threading.Thread(target=watch, name="derive-time-limit", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            _raise_in(tid, None)         # a raise still pending is dropped


_local = threading.local()


@contextmanager
def memory_budget(nbytes: int = MEMORY_BUDGET):
    """Bound the bytes of arrays allocated (see :func:`allocate`) inside the block."""
    outer = getattr(_local, "budget", None)
    _local.budget = [nbytes, nbytes]
    try:
        yield
    finally:
        _local.budget = outer


def allocate(nbytes: int, what: str) -> None:
    """Account for `nbytes` of a new array; LimitError past the budget of the check."""
    budget = getattr(_local, "budget", None)
    if budget is None:
        return
    budget[0] -= nbytes
    if budget[0] < 0:
        raise LimitError(f"the check needs more memory than its budget ({what}); "
                         f"the limit is {budget[1] >> 20} MiB of arrays")
