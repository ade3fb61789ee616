"""Where planner may write, and how (issue "Safe by default": nothing a user owns is ever lost).

- Every folder planner writes carries a manifest, ``.planner-manifest.json`` (command, planner
  version, UTC time, the files written, and the file written beside it, if any: a workbook beside
  its CSV folder, a report page beside its figures). ``--force`` replaces a folder only when it
  carries that manifest, and a file only when the manifest of the folder beside it names it.
- ``--force`` replaces only the files that manifest lists: any other file or folder in it (the
  user's notes, a report written into a result folder) is carried over into the new folder as it
  was; a name the new run writes too is refused before anything is replaced.
- No output overlaps an input of the same command: an output equal to, inside or holding a file
  or folder the command reads (after resolving links) is refused, naming both (check_overlap).
  A target may never be ``.``, the current folder or one of its ancestors, nor a scenario's
  folder, an ancestor of any file the run reads (scenario, parents, tables), nor the folder of an
  input result or an ancestor of it; nor may it lie under a regular file.
- One run writes a target at a time: a lock file beside it (``.<name>.lock``, created atomically,
  holding the pid) makes a second run fail at once; a lock whose process is gone is taken over
  (only a lock planner wrote: a file of that name holding anything but a pid is refused).
- Scratch folders (``.<name>.planner-tmp-<pid>-<random>``, ``.<name>.planner-old-<pid>-<random>``)
  are created with unique names, remembered, and deleted only by the run that created them:
  planner never deletes by a name pattern, so a folder of the user's that looks like scratch is
  never touched. New folders get the permissions the umask allows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
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
    check_name_length(target)
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


#: what planner adds to a target's name for its scratch folders and lock: ".<name>.planner-tmp-<pid>-<8>"
SCRATCH_OVERHEAD = len(".") + len(".planner-tmp-") + 10 + len("-") + 8


def _name_max(target: Path) -> tuple[int, int]:
    """The file system's longest file name and path (bytes) where the target would be, or 255 and 4096."""
    probe = Path(os.path.abspath(target)).parent
    while True:
        try:
            return os.pathconf(probe, "PC_NAME_MAX"), os.pathconf(probe, "PC_PATH_MAX")
        except (OSError, ValueError):
            if probe.parent == probe:
                return 255, 4096
            probe = probe.parent


def check_name_length(target: Path) -> None:
    """Refuse a target (or a folder on its way) whose name the file system cannot hold with
    planner's scratch and lock names beside it, or whose path is too long: before any work."""
    name_max, path_max = _name_max(target)
    for part in Path(target).parts:
        size = len(os.fsencode(part))
        if part == Path(target).name and size + SCRATCH_OVERHEAD > name_max:
            raise OutputRefused(f"--out {str(target)[:60]}...: the name {part[:40]}... is {size} bytes long; planner "
                                f"needs at most {name_max - SCRATCH_OVERHEAD} here (the file system holds "
                                f"{name_max}, and planner's scratch folders beside it add {SCRATCH_OVERHEAD}): give "
                                "a shorter name")
        if size > name_max:
            raise OutputRefused(f"--out {str(target)[:60]}...: the folder name {part[:40]}... is {size} bytes long, "
                                f"more than the file system holds ({name_max}): give a shorter name")
    if len(os.fsencode(os.path.abspath(target))) + SCRATCH_OVERHEAD >= path_max:
        raise OutputRefused(f"--out {str(target)[:60]}...: the path is longer than the file system holds "
                            f"({path_max} bytes, with planner's scratch names): give a shorter one")


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


#: an empty lock younger than this is a run between creating its lock and writing its pid into it;
#: older, a run killed as it began
EMPTY_LOCK_GRACE_S = 30.0


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return float("inf")


def _command_of(pid: int) -> str | None:
    """The command line of a running process (shortened), or None where the system does not say."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    return (text[:120] + "...") if len(text) > 120 else text or None


def _lock_pid(lock: Path) -> int | None:
    """The pid in a lock planner wrote (0 for an empty one, left by a run killed as it began), or
    None when the file is not planner's lock (anything else in it)."""
    try:
        text = lock.read_bytes()[:64].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if text == "":
        return 0
    return int(text) if text.isdigit() else None


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
            pid = _lock_pid(lock) if lock.is_file() and not lock.is_symlink() else None
            if pid is None:
                raise OutputRefused(f"{lock} is in the way: planner needs that name for its lock while it writes "
                                    f"{target}, and that file is not a planner lock; move it away or give another "
                                    "--out") from None
            if pid and _alive(pid) and pid != os.getpid():
                command = _command_of(pid)
                if command is not None and "planner" not in command:
                    raise OutputRefused(f"{lock} (planner's lock for writing {target}) names pid {pid}, which is "
                                        f"running but is not planner ({command}): the lock is stale, left by a "
                                        f"planner run that was killed, and its pid has been reused; delete {lock} "
                                        "and run again (or give another --out)") from None
                raise OutputRefused(f"another planner run (pid {pid}) is writing {target} (its lock is {lock}); "
                                    f"wait for it to finish, or give another --out; if no planner run is writing, "
                                    f"the lock is stale: delete {lock}") from None
            if pid == 0 and _age_s(lock) < EMPTY_LOCK_GRACE_S:  # created this instant, its pid not yet in
                raise OutputRefused(f"another planner run is starting to write {target} (its lock is {lock}); "
                                    "wait for it to finish, or give another --out") from None
            lock.unlink(missing_ok=True)  # planner's, left by a run that is gone
    else:
        raise OutputRefused(f"cannot lock {target}: {lock} keeps reappearing")
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        if _lock_pid(lock) == os.getpid():
            lock.unlink(missing_ok=True)


#: scratch folders this process created and has not removed yet (the only ones it may delete)
_SCRATCH: set[Path] = set()
#: folders that hold something of the user's after a failure: never deleted, nor what holds them
_KEPT: set[Path] = set()


def _scratch(target: Path, kind: str) -> Path:
    """A new, empty, uniquely named hidden folder beside the target (``kind``: tmp or old)."""
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.planner-{kind}-{os.getpid()}-", dir=target.parent))
    _SCRATCH.add(folder)
    return folder


def temporary_folder(target: Path) -> Path:
    """A hidden folder beside the target to write into, with the permissions the umask allows.
    Remove it with :func:`discard` (nothing else in planner deletes it)."""
    tmp = _scratch(target, "tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def discard(folder: Path) -> None:
    """Delete a scratch folder this run created (a no-op for any other path, or once it was moved
    into place)."""
    folder = Path(folder)
    if folder not in _SCRATCH:
        return
    _SCRATCH.discard(folder)
    if any(_is_within(kept, folder) for kept in _KEPT):
        return
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)


def _keep(folder: Path) -> None:
    """Never delete this scratch folder, nor one holding it (it holds something of the user's)."""
    _SCRATCH.discard(Path(folder))
    _KEPT.add(Path(folder))


def _safe_relative(name) -> PurePosixPath | None:
    """A manifest's file name as a path inside the folder, or None (absolute, '..', odd)."""
    if not isinstance(name, str) or not name or "\0" in name:
        return None
    rel = PurePosixPath(name)
    if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts):
        return None
    return rel


def listed_files(manifest: dict) -> set[PurePosixPath]:
    """What planner wrote in a folder, by its manifest (the manifest itself included)."""
    files = manifest.get("files")
    listed = {r for r in map(_safe_relative, files if isinstance(files, list) else []) if r is not None}
    return listed | {PurePosixPath(MANIFEST)}


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def foreign_entries(folder: Path, listed: set[PurePosixPath]) -> list[PurePosixPath]:
    """The top-most entries in a planner folder that its manifest does not list: a file or a link
    not listed, a folder holding nothing listed. Links are never followed."""
    holders = {parent for rel in listed for parent in rel.parents if str(parent) != "."}
    out: list[PurePosixPath] = []

    def walk(here: Path, rel: PurePosixPath | None) -> None:
        for entry in sorted(os.scandir(here), key=lambda e: e.name):
            r = PurePosixPath(entry.name) if rel is None else rel / entry.name
            if entry.is_dir(follow_symlinks=False) and r in holders:
                walk(Path(entry.path), r)
            elif entry.is_dir(follow_symlinks=False) or r not in listed:
                out.append(r)

    walk(folder, None)
    return out


def _taken(folder: Path, rel: PurePosixPath) -> bool:
    """Whether ``rel`` cannot be put into ``folder``: the name or a parent's is already a file there."""
    probe = folder
    for part in rel.parts[:-1]:
        probe = probe / part
        if os.path.lexists(probe) and not _real_dir(probe):
            return True
    return os.path.lexists(folder / Path(*rel.parts))


def _delete_listed(folder: Path, listed: set[PurePosixPath]) -> None:
    """Delete what the manifest lists in a folder moved aside, then its empty folders; a folder
    left holding anything else is kept (and never deleted)."""
    for rel in sorted(listed, key=lambda r: len(r.parts), reverse=True):
        path, inside = folder, True
        for part in rel.parts[:-1]:
            path = path / part
            if not _real_dir(path):
                inside = False  # never through a link
                break
        path = folder / Path(*rel.parts)
        if inside and (path.is_symlink() or path.is_file()):
            path.unlink(missing_ok=True)
    for here, _dirs, _files in sorted(os.walk(folder), key=lambda w: len(w[0]), reverse=True):
        try:
            os.rmdir(here)
        except OSError:
            pass
    _SCRATCH.discard(folder)  # gone, or kept: it holds something the manifest does not list


def replace_folder(new: Path, target: Path) -> None:
    """Move ``new`` into place. An existing target (planner's, checked before) is kept until then;
    the files its manifest lists are replaced, anything else in it is carried over into the new
    folder (refused, nothing replaced, if the new folder has a file of the same name)."""
    new, target = Path(new), Path(target)
    if not os.path.lexists(target):
        os.replace(new, target)
        return
    manifest = manifest_of(target) if _real_dir(target) else None
    if manifest is None:
        raise OutputRefused(f"{target} was not written by planner; it is left as it is")
    listed = listed_files(manifest)
    extras = foreign_entries(target, listed)
    clash = [rel for rel in extras if _taken(new, rel)]
    if clash:
        raise OutputRefused(f"{target / Path(*clash[0].parts)} was not written by planner ({MANIFEST} does not list "
                            f"it) and this run writes that name too; --force replaces only planner's own files: "
                            f"move it away (or give another --out); {target} is left as it was")
    moved: list[PurePosixPath] = []
    backup = _scratch(target, "old")  # an empty folder of ours, to be replaced by the target
    try:
        for rel in extras:  # the user's files go into the new folder, as they are
            (new / Path(*rel.parts)).parent.mkdir(parents=True, exist_ok=True)
            os.rename(target / Path(*rel.parts), new / Path(*rel.parts))
            moved.append(rel)
        os.replace(target, backup)
        try:
            os.replace(new, target)
        except BaseException:
            os.replace(backup, target)
            raise
    except BaseException:
        try:
            os.rmdir(backup)  # still our empty folder (the target is back in place)
            _SCRATCH.discard(backup)
        except OSError:
            _keep(backup)
        failed = []
        for rel in reversed(moved):
            try:
                os.rename(new / Path(*rel.parts), target / Path(*rel.parts))
            except OSError:
                failed.append(rel)
        if failed:
            _keep(new)
            earlier = "" if os.path.lexists(target) else f"; the earlier results are in {backup}"
            raise OutputRefused(f"could not replace {target}, nor put back your files moved into {new}: "
                                f"{', '.join(map(str, failed[:5]))}; move them back by hand (planner will not "
                                f"delete that folder){earlier}")
        raise
    _delete_listed(backup, listed)
