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

import sympy as sp
import threading
from contextlib import contextmanager

from derive.core.errors import LimitError, TimeLimitError
from derive.core.program import as_expr

MEMORY_BUDGET = 1 << 30          # bytes of arrays one check may allocate (1 GiB)
MAX_WORK = 1_000_000_000       # iterations of a whole run (a statement's grid times its blocks')
MAX_TENSOR_BYTES = 2 << 30     # bytes of all the program's tensors in one run


def _figure(n: int) -> str:
    """10^11, or the number itself below a million."""
    if n < 10 ** 6:
        return f"{n:,}"
    exp = len(str(n)) - 1
    lead = n / 10 ** exp
    return f"10^{exp}" if abs(lead - 1) < 0.05 else f"{lead:.1f}·10^{exp}"


def preflight(program, sizes: dict, max_grid: int = 20_000_000) -> None:
    """Refuse, before anything is allocated, a run whose iteration space or tensors are
    too large at these sizes (B = 10^8 once took 21 s and 6 GB before a limit message),
    with the figures: LimitError (exit 2)."""
    subs = {sp.Symbol(str(k), integer=True, positive=True): sp.Integer(int(v))
            for k, v in sizes.items()}

    memo: dict = {}

    def value(e) -> int:
        if e not in memo:
            v = as_expr(e).xreplace(subs)
            memo[e] = int(v) if v.is_number else 0
        return memo[e]

    def product(loops) -> int:
        # each loop's count from its bounds (no simplify: this runs before every run)
        n = 1
        for lp in loops:
            n *= max(value(lp.hi) - value(lp.lo) + 1, 0)
        return n

    def names(loops) -> str:                  # for the message only
        return "·".join(str(lp.count()) for lp in loops) or "1"
    for st, outer in program.walk():
        own = product(st.loops)
        if own > max_grid:
            what = names(st.loops)
            raise LimitError((f"line {st.line}: " if st.line else "") +
                             f"the loops of `{st.target}` run {what} = {_figure(own)} "
                             f"iterations at {_sizes_text(sizes)}; the limit is "
                             f"{_figure(max_grid)}")
        total = product(tuple(outer) + tuple(st.loops))
        if total > MAX_WORK:
            twhat = names(tuple(outer) + tuple(st.loops))
            raise LimitError(f"`{st.target}` runs {twhat} = {_figure(total)} times in all "
                             f"at {_sizes_text(sizes)}; the limit is {_figure(MAX_WORK)}")
    nbytes = 0
    for name, info in program.tensors.items():
        n = 1
        for lo, hi in info.ranges:
            n *= max(value(hi) - value(lo) + 1, 0)
        nbytes += 8 * n
    if nbytes > MAX_TENSOR_BYTES:
        raise LimitError(f"the program's tensors take {nbytes / 2 ** 30:,.1f} GiB at "
                         f"{_sizes_text(sizes)}; the limit is {MAX_TENSOR_BYTES >> 30} GiB")


def _sizes_text(sizes: dict) -> str:
    return ", ".join(f"{k}={_figure(int(v))}" for k, v in sizes.items()) or "its sizes"






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
