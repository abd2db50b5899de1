"""Where the time of a run goes, measured in that one run: a function marked
`@timed("verify")` adds its wall time to the current stopwatch (if one is running in
this thread), counted once when such calls nest.  `derive key --timings` uses it to
split derive from verify without deriving every part three times."""
from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def stopwatch():
    """{stage: seconds} of the @timed calls inside the block (this thread)."""
    outer = getattr(_local, "totals", None)
    totals: dict = {}
    _local.totals, _local.depth = totals, {}
    try:
        yield totals
    finally:
        _local.totals = outer


def timed(stage: str):
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            totals = getattr(_local, "totals", None)
            if totals is None:
                return fn(*args, **kwargs)
            depth = _local.depth
            depth[stage] = depth.get(stage, 0) + 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[stage] -= 1
                if depth[stage] == 0:
                    totals[stage] = totals.get(stage, 0.0) + time.perf_counter() - t0
        return inner
    return wrap
