"""Ctrl-C, the same at every stage: "interrupted" on stderr, exit 130, nothing written (SPEC §5).

``planner.cli.main`` calls :func:`install`: from then on SIGINT raises :class:`Interrupted` where
Python is running (reading the scenario, building the model, writing the tables; the writers
remove their temporary folders on any exception), and ``main`` turns it into the message and the
exit status. ``Interrupted`` is not a ``KeyboardInterrupt`` on purpose: click/typer turn that into a
silent exit, and Pyomo logs an ERROR line for any exception while it builds a component (that line
is dropped once an interrupt was requested, see :class:`_DropAfterInterrupt`).

While HiGHS runs (C++), a Python exception cannot unwind it: :func:`deferred` makes SIGINT only note
the request, ``solve.py`` stops HiGHS through its interrupt callbacks, and :func:`check` raises
afterwards. Worker processes of a sweep get the same note-only handler (:func:`worker_init`); their
run stops at the next stage or HiGHS callback and the main process, interrupted itself, discards it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_requested = threading.Event()


class Interrupted(BaseException):
    """The user pressed Ctrl-C (SIGINT). Caught by ``planner.cli.main``: exit 130."""


def requested() -> bool:
    return _requested.is_set()


def _raise(_signum, _frame) -> None:
    """The first Ctrl-C unwinds; a second one while cleaning up is only noted, so the writers
    finish removing their temporary folders."""
    if _requested.is_set():
        return
    _requested.set()
    raise Interrupted()


def _note(_signum, _frame) -> None:
    _requested.set()


def _note_then_exit(_signum, _frame) -> None:
    """While HiGHS runs in the CLI: the first Ctrl-C asks HiGHS to stop (its callbacks); a second
    one, if HiGHS has not reached a callback yet (e.g. a long presolve), leaves at once: nothing
    is written while solving, so there is nothing to clean up."""
    if _requested.is_set():
        print("interrupted", file=sys.stderr, flush=True)
        os._exit(130)
    _requested.set()


class _DropAfterInterrupt(logging.Filter):
    """Pyomo logs 'Constructing component ... failed' for an exception inside a rule; after a
    Ctrl-C that exception is the interrupt, and the line would only alarm the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _requested.is_set()


_FILTER = _DropAfterInterrupt()


def _quiet_pyomo() -> None:
    for name in ("pyomo", "pyomo.core", "pyomo.repn", "pyomo.common"):
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)
        for handler in log.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def install() -> None:
    """SIGINT raises Interrupted from now on (main thread of the CLI process)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _raise)
    _quiet_pyomo()


def worker_init() -> None:
    """Initializer of sweep worker processes: Ctrl-C reaches the whole process group; a worker
    only notes it (no traceback from an idle worker), and its run stops at the next check."""
    signal.signal(signal.SIGINT, _note)
    _quiet_pyomo()


@contextmanager
def ignored() -> Iterator[None]:
    """SIGINT ignored inside (main thread only): processes started here inherit the ignore, so a
    Ctrl-C while they start up prints no traceback; their initializer (:func:`worker_init`) then
    makes them note it. A Ctrl-C inside this short window is lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_workers(pool) -> None:
    """Cancel the runs of a ProcessPoolExecutor that have not started and end its worker processes:
    after a Ctrl-C (or when the sweep is abandoned) their results are not wanted, and workers write
    nothing themselves. Without this, leaving the pool would wait for every queued run.

    The pool's manager thread is then joined (shutdown(wait=False) forgets it, so leaving the pool
    would not): left running, it closes its wake-up pipe while Python's exit hook writes to it, and
    Python 3.11 prints a traceback ("Bad file descriptor") after "interrupted"."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    manager = getattr(pool, "_executor_manager_thread", None)  # and it forgets this
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(timeout=30)  # the workers are ended: it finishes at once


def check() -> None:
    """Raise Interrupted if Ctrl-C was pressed while it could not raise (HiGHS running, a worker)."""
    if _requested.is_set():
        raise Interrupted()


@contextmanager
def deferred() -> Iterator[None]:
    """Inside, SIGINT only notes the request (for C++ code that must be stopped, not unwound).
    On leaving, a noted request raises Interrupted, or KeyboardInterrupt where planner did not
    install its handler (a library caller keeps Python's usual Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:  # e.g. started in the background: Ctrl-C is not ours to act on
        yield
        return
    ours = previous in (_raise, _note)
    already = _requested.is_set()
    signal.signal(signal.SIGINT, _note_then_exit if previous is _raise else _note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if _requested.is_set():
        if ours:
            raise Interrupted()
        if not already:
            _requested.clear()
            raise KeyboardInterrupt()
