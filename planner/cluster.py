"""Work on a Dask distributed cluster (``--scheduler ADDRESS`` of ``planner sweep`` and of
``planner solve --flip-tariffs``), bounded in time: planner never waits on a cluster without a limit.

- The address is checked before anything is solved (SchedulerAddressError, exit 2): a URL of a
  transport planner can use from a process of its own (``tcp://``, ``tls://``, ``ws://``,
  ``wss://``; ``host:port`` means ``tcp://``). ``inproc://`` names a scheduler inside another
  process's memory and is refused; ``ucx://`` only when UCX support is installed, ``tls://`` and
  ``wss://`` only with TLS certificates in Dask's configuration; any of them only with
  ``distributed`` installed.
- Connecting is bounded by ``timeout`` seconds, the handshake included (a port that accepts and
  never answers, or an HTTP server, is not a scheduler): ClusterError, exit 4.
- The work waits at most ``timeout`` seconds for a first worker, and fails when the cluster has
  had no worker for ``timeout`` seconds while runs are pending (every worker died or left):
  ClusterError, exit 4 (the input is fine; the cluster could not run it). A run whose worker died
  while another worker remains is retried by Dask, then reported as that run's error.
"""

from __future__ import annotations

import importlib.util
import os
import time
from typing import Callable, Iterator

#: seconds planner waits to connect, for a first worker, and without any worker while work is pending
DEFAULT_TIMEOUT_S = 30.0
#: transports planner can reach from its own process
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


class SchedulerAddressError(ValueError):
    """``--scheduler`` is not an address planner can use (exit 2, before anything is solved)."""


class ClusterError(RuntimeError):
    """The cluster cannot run the work: unreachable, not a Dask scheduler, no workers, workers
    lost (exit 4). The message names the address and what to check."""


def check_address(address: str) -> str:
    """The scheduler address as a URL (``host:port`` -> ``tcp://host:port``), or SchedulerAddressError."""
    from urllib.parse import urlsplit

    if importlib.util.find_spec("distributed") is None:
        raise SchedulerAddressError(f"--scheduler {address!r} needs Dask's distributed package, which is not "
                                    "installed here: pip install distributed (or run without --scheduler)")
    text = address.strip()
    if "://" not in text:
        text = f"tcp://{text}"
    try:
        parts = urlsplit(text)
        port, host = parts.port, parts.hostname
    except ValueError:
        parts, port, host = None, None, None
    scheme = parts.scheme.lower() if parts is not None else ""
    if scheme == "inproc":
        raise SchedulerAddressError(f"--scheduler {address!r}: an inproc:// scheduler lives inside another "
                                    "process's memory and cannot be reached from planner; start one with "
                                    "'dask scheduler' and give its tcp://host:8786")
    if scheme == "ucx" and not any(importlib.util.find_spec(m) is not None for m in ("distributed_ucxx", "ucp")):
        raise SchedulerAddressError(f"--scheduler {address!r}: ucx:// needs UCX support, which is not installed "
                                    "(pip install distributed-ucxx); or give the scheduler's tcp:// address")
    if scheme in ("tls", "wss") and _connection_args().get("ssl_context") is None:
        raise SchedulerAddressError(f"--scheduler {address!r}: {scheme}:// needs TLS certificates in Dask's "
                                    "configuration (distributed.comm.tls.ca-file, .client.cert and .client.key, "
                                    "e.g. in ~/.config/dask/distributed.yaml), and none are set")
    if parts is None or scheme not in SCHEMES or not host or port is None or any(c.isspace() for c in text):
        raise SchedulerAddressError(f"--scheduler {address!r} is not a Dask scheduler address; give "
                                    "tcp://host:8786 (or host:8786)")
    return text


def connect(address: str, timeout: float = DEFAULT_TIMEOUT_S):
    """A distributed Client of the scheduler at ``address`` with at least one worker, within
    ``timeout`` seconds for the connection and ``timeout`` more for a worker; ClusterError if not."""
    from distributed import Client

    url = probe(address, timeout)
    try:
        client = Client(url, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - whatever distributed raises, the cause is the cluster
        raise ClusterError(f"cannot connect to the Dask scheduler at {address}: {_reason(exc)}") from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - distributed's TimeoutError (WorkerStartTimeoutError)
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no workers (none arrived within {timeout:g} s); "
                           "start some with 'dask worker " + url + "', or raise --scheduler-timeout") from exc
    return client


def probe(address: str, timeout: float = DEFAULT_TIMEOUT_S) -> str:
    """Check that a Dask scheduler answers at ``address`` within ``timeout`` seconds (its workers
    are not asked for: they may start later); its URL, or SchedulerAddressError / ClusterError."""
    url = check_address(address)
    identity = _identity(url, timeout)
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise ClusterError(f"{address} answered, but not as a Dask scheduler; give the address 'dask scheduler' "
                           "prints (tcp://host:8786), not its dashboard's")
    return url


def _identity(url: str, timeout: float):
    """The scheduler's identity, asked over a connection of our own: connecting and the handshake
    bounded by ``timeout`` (distributed's own timeout does not cover a peer that never answers)."""
    import asyncio  # here: the CLI imports this module for its constants

    from distributed.comm import connect as comm_connect

    async def ask():
        comm = await comm_connect(url, timeout=timeout, **_connection_args())
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded():
        return await asyncio.wait_for(ask(), timeout)

    try:
        return asyncio.run(bounded())
    except (asyncio.TimeoutError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach a Dask scheduler at {url}: no answer within {timeout:g} s (is it a Dask "
                           "scheduler, and is the port open?)") from exc
    except Exception as exc:  # noqa: BLE001 - refused, reset, a TLS or protocol error: all the cluster's
        raise ClusterError(f"cannot reach a Dask scheduler at {url}: {_reason(exc)}") from exc


def _connection_args() -> dict:
    """What a client connection needs from Dask's configuration (TLS certificates, if any)."""
    from distributed.security import Security

    return Security().get_connection_args("client")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def dask_jobs(jobs: dict, address: str, fn: Callable, timeout: float = DEFAULT_TIMEOUT_S,
              args: Callable = lambda job: job if isinstance(job, tuple) else (job,),
              failed: Callable[[BaseException], object] = lambda exc: f"{type(exc).__name__}: {exc}") -> Iterator[tuple]:
    """fn(*args(job)) for every (key, job) on the cluster; yields (key, result) as each finishes (a
    run that failed on its worker yields ``failed(exception)``). ClusterError when the cluster
    cannot run them: see the module's notes. jobs.py is the runner that calls this."""
    client = connect(address, timeout)
    try:
        futures = {client.submit(fn, *args(job), pure=False, key=f"planner-{key}-{os.getpid()}"): key
                   for key, job in jobs.items()}
        pending = list(futures)
        alone_since: float | None = None
        asked = time.monotonic()
        while pending:
            done = [f for f in pending if f.done()]
            pending = [f for f in pending if not f.done()]
            for future in done:
                try:
                    yield futures[future], future.result()
                except Exception as exc:  # noqa: BLE001 - a run lost with its worker fails that run only
                    yield futures[future], failed(exc)
            if done:
                alone_since = None
                continue
            time.sleep(0.1)
            if time.monotonic() - asked < min(1.0, timeout / 4):
                continue
            asked = time.monotonic()
            if _workers(client, address, timeout):
                alone_since = None
            elif alone_since is None:
                alone_since = asked
            elif asked - alone_since > timeout:
                raise ClusterError(f"the Dask scheduler at {address} has had no workers for {timeout:g} s with "
                                   f"{len(pending)} run(s) still to do (its workers died or left); check the "
                                   "workers' logs (memory?), restart them, or raise --scheduler-timeout")
    finally:
        client.close()


def _workers(client, address: str, timeout: float) -> int:
    """How many workers the scheduler has now, asked within ``timeout``; ClusterError if it is gone."""
    try:
        return len(client.sync(client.scheduler.ncores, callback_timeout=timeout))
    except Exception as exc:  # noqa: BLE001 - the scheduler went away or stopped answering
        raise ClusterError(f"lost the Dask scheduler at {address}: {_reason(exc)}") from exc
