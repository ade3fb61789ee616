"""The job runner: ``fn(*args)`` for many jobs, on local processes or a Dask cluster (cluster.py).

It knows no analysis: a sweep (sweep.py), the flip-tariff search (flip.py) and ``planner explore``
(explore.py) each hand it a top-level function (so it can be pickled) and a mapping key -> job (a
tuple of arguments, or one argument), and read back (key, result) as the jobs finish, in the order
they finish. A job that raises in its worker, or is lost with it, yields :class:`JobFailed` for its
key and the others go on; a cluster that cannot run the jobs at all raises cluster.ClusterError
(within ``scheduler_timeout`` seconds: never a hang).

Ctrl-C (interrupt.py): local workers start with SIGINT ignored, then only note it and stop their
job at its next check; the main process, interrupted itself, ends them and raises Interrupted.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Callable, Iterator

from . import interrupt
from .cluster import DEFAULT_TIMEOUT_S


@dataclass
class JobFailed:
    """The result of a job that raised (or whose worker was lost): what happened, in one line
    and a short traceback where there is one."""

    message: str

    def __str__(self) -> str:
        return self.message


def arguments(job) -> tuple:
    """A job's arguments: the tuple itself, or one argument."""
    return job if isinstance(job, tuple) else (job,)


def run_jobs(fn: Callable, jobs: dict, workers: int = 1, scheduler: str | None = None,
             scheduler_timeout: float = DEFAULT_TIMEOUT_S, in_process: bool = True) -> Iterator[tuple]:
    """fn(*args) for every (key, args) of ``jobs``; yields (key, result or JobFailed) as they finish.

    On the Dask ``scheduler`` when one is given; else on ``workers`` local processes, or, with one
    worker and ``in_process``, here in this process (no worker start-up to pay)."""
    if scheduler:
        yield from dask_jobs(fn, jobs, scheduler, scheduler_timeout)
    elif workers <= 1 and in_process:
        yield from here(fn, jobs)
    else:
        yield from local_jobs(fn, jobs, max(1, workers))


def _failed(exc: BaseException, trace: bool = False) -> JobFailed:
    text = f"{type(exc).__name__}: {exc}"
    if trace:
        import traceback

        text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=3))
    return JobFailed(text)


def here(fn: Callable, jobs: dict) -> Iterator[tuple]:
    """The jobs one after another in this process (Ctrl-C raises Interrupted as anywhere else)."""
    for key, job in jobs.items():
        try:
            result = fn(*arguments(job))
        except Exception as exc:  # noqa: BLE001 - a job that fails fails its key only
            result = _failed(exc, trace=True)
        yield key, result


def local_jobs(fn: Callable, jobs: dict, workers: int) -> Iterator[tuple]:
    """The jobs on ``workers`` local processes (spawned: a clean interpreter each)."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=interrupt.worker_init) as pool:
        try:
            with interrupt.ignored():
                futures = {pool.submit(fn, *arguments(job)): key for key, job in jobs.items()}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its job only
                    yield futures[future], _failed(exc)
        except BaseException:  # interrupted or abandoned: the other jobs are not wanted
            interrupt.stop_workers(pool)
            raise


def dask_jobs(fn: Callable, jobs: dict, scheduler: str, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[tuple]:
    """The jobs on the Dask cluster at ``scheduler`` (cluster.dask_jobs: bounded waits)."""
    from .cluster import dask_jobs as on_cluster

    yield from on_cluster(jobs, scheduler, fn, timeout, args=arguments, failed=_failed)
