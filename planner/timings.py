"""Seconds per stage of one run (summary.json's ``timings``, docs/outputs.md).

``imports`` is the time from the interpreter's start to the run's start (reading /proc on Linux,
to 10 ms; elsewhere the time since planner was first imported); each other stage is timed as it
runs. Nothing heavy is imported here: the CLI creates its clock before anything else is loaded.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

_IMPORTED = time.perf_counter()

#: the stages, in the order of the pipeline (run.py); a stage that did not run is absent
STAGES = ("imports", "load", "data", "build", "handoff", "solve", "prices", "analyses", "tables", "files", "futures")


def since_process_start() -> float:
    """Seconds since this process started (Linux: /proc), else since planner was imported."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rpartition(")")[2].split()[19])  # field 22: starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED


class Timings(dict):
    """stage -> seconds; ``with timings("build"): ...`` adds the block's seconds to that stage."""

    @classmethod
    def from_process_start(cls) -> "Timings":
        """A clock whose ``imports`` is the time since the interpreter started."""
        return cls(imports=since_process_start())

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - t0)

    def add(self, stage: str, seconds: float) -> None:
        self[stage] = self.get(stage, 0.0) + seconds

    def rounded(self) -> dict:
        """For summary.json: the stages in pipeline order, to the millisecond."""
        order = {s: i for i, s in enumerate(STAGES)}
        return {k: round(v, 3) for k, v in sorted(self.items(), key=lambda kv: order.get(kv[0], len(order)))}
