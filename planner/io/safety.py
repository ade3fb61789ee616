"""Where planner may write, and how (issue "Safe by default": nothing a user owns is ever lost).

- Every folder planner writes carries a manifest, ``.planner-manifest.json`` (command, planner
  version, UTC time, the files written, and the file written beside it, if any: a workbook beside
  its CSV folder, a report page beside its figures). ``--force`` replaces a folder only when it
  carries that manifest, and a file only when the manifest of the folder beside it names it.
- No output overlaps an input of the same command: an output equal to, inside or holding a file
  or folder the command reads (after resolving links) is refused, naming both (check_overlap).
  A target may never be ``.``, the current folder or one of its ancestors, nor a scenario's
  folder, an ancestor of any file the run reads (scenario, parents, tables), nor the folder of an
  input result or an ancestor of it; nor may it lie under a regular file.
- One run writes a target at a time: a lock file beside it (``.<name>.lock``, created atomically,
  holding the pid) makes a second run fail at once; a lock whose process is gone is taken over.
- Hidden ``.<name>.tmp-*`` / ``.<name>.old-*`` folders left by an interrupted run are removed by
  the next run that holds the lock. New folders get the permissions the umask allows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

MANIFEST = ".planner-manifest.json"


class OutputRefused(Exception):
    """The target may not be written (exit 2): the message says why and what to do."""


class OutputExistsError(OutputRefused):
    """The target exists and --force was not given."""


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError):
        return Path(os.path.abspath(path))


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def check_overlap(outputs: Iterable[Path | tuple[Path, str]], inputs: Iterable[Path], what: str = "reads") -> None:
    """Refuse an output that is, lies inside or holds an input of the same command (links
    resolved): writing it could replace what the command reads. The message names both.
    ``outputs``: paths, or (path, what it is) to say so in the message."""
    inputs = [(Path(i), _real(Path(i))) for i in inputs]
    for out in outputs:
        out, note = (out if isinstance(out, tuple) else (out, ""))
        out_real = _real(Path(out))
        for given, real in inputs:
            if _is_within(out_real, real) or _is_within(real, out_real):
                how = "is" if out_real == real else "lies inside" if _is_within(out_real, real) else "holds"
                same = f" (both are {real})" if out_real == real and Path(out) != given else ""
                shown = f"{out} ({note})" if note else f"{out}"
                raise OutputRefused(f"{shown} {how} {given}, which this command {what}{same}; an output may not be, "
                                    "lie inside or hold an input: nothing was written; give another --out")


def manifest_of(folder: Path) -> dict | None:
    """The manifest of a folder planner wrote, or None (no manifest, or not one of ours)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == "planner" else None


def check_target(target: Path, force: bool, protected: Iterable[Path] = (), companion: Path | None = None,
                 what: str = "results folder") -> None:
    """Refuse a target that may not be written, before any work is done.

    ``protected``: files and folders the run reads (the target may not be one of them, their
    folder, or an ancestor). ``companion``: for a file target (a workbook, a report page), the
    folder written beside it, whose manifest must name the file for --force to replace it.
    """
    target = Path(target)
    if str(target).strip() in ("", ".", "..") or target.name in ("", ".", ".."):
        raise OutputRefused(f"--out {target}: give a new folder's name, not '.' or '..'")
    real = _real(target)
    cwd = _real(Path.cwd())
    if _is_within(cwd, real):
        raise OutputRefused(f"--out {target} is the current folder or holds it; planner writes only into a "
                            "folder of its own: give a new name, e.g. --out results/run1")
    for p in protected:
        p_real = _real(Path(p))
        holder = p_real if p_real.is_dir() else p_real.parent
        if _is_within(holder, real) or _is_within(real, p_real):
            raise OutputRefused(f"--out {target} would replace {p}, which this run reads (or the folder holding "
                                "it); write the results elsewhere, e.g. --out results/run1")
    # the parent must be, or become, a folder
    probe = real.parent
    while not probe.exists():
        if probe.is_symlink():
            raise OutputRefused(f"--out {target}: {probe} is a broken link")
        probe = probe.parent
    if not probe.is_dir():
        raise OutputRefused(f"--out {target}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputRefused(f"--out {target}: cannot write in {probe} (permission denied)")
    if target.is_symlink():
        raise OutputRefused(f"--out {target} is a symbolic link; planner does not write through links")
    if not target.exists():
        return
    if not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it (or --out another name)")
    if target.is_dir():
        if companion is not None:
            raise OutputRefused(f"--out {target} is a folder; give a file name")
        if manifest_of(target) is None:
            raise OutputRefused(f"{target} was not written by planner (it has no {MANIFEST}); --force replaces "
                                "only planner's own results: move it away or give another --out")
        return
    if companion is None:
        raise OutputRefused(f"--out {target} is a file, not a folder; give another name")
    manifest = manifest_of(companion) if companion.is_dir() else None
    if manifest is None or manifest.get("beside") != target.name:
        raise OutputRefused(f"{target} was not written by planner (no planner folder {companion.name}/ beside it "
                            "names it); --force replaces only planner's own files: give another --out")


def check_companion(folder: Path, force: bool) -> None:
    """The folder written beside a file target: absent, or planner's and --force given."""
    if folder.is_symlink():
        raise OutputRefused(f"{folder} is a symbolic link; planner does not write through links")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputRefused(f"{folder} is a file; planner needs that name for a folder: move it or give another --out")
    if not force:
        raise OutputExistsError(f"{folder} exists; use --force to replace it (or --out another name)")
    if manifest_of(folder) is None:
        raise OutputRefused(f"{folder} was not written by planner (it has no {MANIFEST}); --force replaces only "
                            "planner's own folders: move it away or give another --out")


def write_manifest(folder: Path, command: str, beside: str | None = None) -> None:
    """Record in ``folder`` that planner wrote it, and what."""
    from .. import __version__

    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    data = {"written_by": "planner", "command": command, "version": __version__,
            "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}
    if beside:
        data["beside"] = beside
    (folder / MANIFEST).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside the target for the whole write; a second run fails at once."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f".{target.name}.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid) and pid != os.getpid():
                raise OutputRefused(f"another planner run (pid {pid}) is writing {target}; wait for it to finish, "
                                    "or give another --out") from None
            lock.unlink(missing_ok=True)  # left by a run that is gone
    else:
        raise OutputRefused(f"cannot lock {target}: {lock} keeps reappearing")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        _clean_leftovers(target)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _clean_leftovers(target: Path) -> None:
    """Remove hidden temporary folders of earlier, interrupted writes of this target."""
    for prefix in (f".{target.name}.tmp-", f".{target.name}.old-"):
        for leftover in target.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def temporary_folder(target: Path) -> Path:
    """A hidden folder beside the target to write into, with the permissions the umask allows."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` into place; an existing target (planner's, checked before) is kept until then."""
    if target.exists() and not target.is_symlink() and target.is_dir() and manifest_of(target) is None:
        raise OutputRefused(f"{target} was not written by planner; it is left as it is")
    if not target.exists():
        os.replace(new, target)
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, backup)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
