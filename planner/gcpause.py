"""Python's cyclic garbage collector paused while a model is built and compiled.

Building a Pyomo model creates millions of small container objects (expressions, component
data), and every so many of them the collector walks all that survive, the model included: at
the 'large' size of benchmarks/run.py that walking was about half of the build and a fifth of the
compile (timed with the collector on and off on a busy machine: build 13.1-13.9 s -> 6.2-8.7 s,
compile 9.1-10.2 s -> 7.2-7.9 s, peak memory +2 %; `benchmarks/run.py --no-solve` shows both times).
A model holds no reference cycles that need collecting while it grows (its components point to
their parents through weak references), so nothing is lost by pausing: memory is still freed by
reference counting, and the collector runs again as before afterwards.
"""

from __future__ import annotations

import functools
import gc
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def paused_gc(function: F) -> F:
    """Run ``function`` with the cyclic collector off (restored after, even on an error; a
    nested call leaves it to the outer one)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]
