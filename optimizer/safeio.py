"""Replacing a report directory safely: only one we wrote, whole, one writer at a time.

Every directory :func:`replace_dir` writes carries a marker file, ``.consortium-report``,
naming the tool, the kind of report and the tool version. :func:`refuse_unless_ours` lets
an existing directory be replaced only when it is absent, empty, or holds that marker (a
regular file that says it is ours) and nothing but the entries the report writes, each of
the type the report writes (files are regular files; directories are directories).

:func:`replace_dir` renders the new directory whole into a temporary sibling
(``.NAME.tmp-XXXX``) and then exchanges it with the old one in one ``renameat2(...,
RENAME_EXCHANGE)``, so a process killed at any instant leaves one complete report under the
name, never none. Writers to the same parent directory are serialised by an ``flock`` on
the parent directory itself (no lock file is left in the user's tree), and the writer
holding it removes the litter that killed writers left (temporary siblings carrying our
marker, or empty). See docs/reports.md.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping

from .errors import UsageError

MARKER = ".consortium-report"
TOOL = "consortium-optimizer"
LOCK_TIMEOUT = 60.0      # seconds a writer waits for another one writing next to it
LOCK_POLL = 0.05
_MARKER_MAX = 4096       # a marker is a few lines; never read a large foreign file whole

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def marker_bytes(kind: str) -> bytes:
    """The marker's content for a ``kind`` directory ("report", "comparison report", ...)."""
    from . import __version__
    return (f"{TOOL} {__version__}\nkind: {kind}\n"
            f"This directory was written by {TOOL}. Writing a report to it again replaces the whole "
            "directory, so keep nothing else in it.\n").encode("utf-8")


def marker_kind(data: bytes | None) -> str | None:
    """The kind a marker's content names, or None unless it was written by us."""
    if not data:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    if not lines[0].startswith(f"{TOOL} "):
        return None
    return next((line[len("kind: "):] for line in lines[1:] if line.startswith("kind: ")), None)


# --- checking a directory -------------------------------------------------------------------------
def _refusal(out: Path, kind: str, why: str) -> UsageError:
    return UsageError(f"{out}: exists and does not look like a consortium {kind} directory: {why}; "
                      "refusing to replace it. Choose another --out directory, or remove it yourself.")


def _what(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return "a symbolic link"
    return "a directory" if entry.is_dir(follow_symlinks=False) else "not a regular file"


def _read_marker(dir_fd: int) -> bytes | None:
    """The marker's bytes in the directory ``dir_fd``; None unless it is a regular file.
    O_NOFOLLOW and O_NONBLOCK: a symlink or FIFO swapped in after listing is not followed
    and cannot block us."""
    try:
        fd = os.open(MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        return os.read(fd, _MARKER_MAX) if stat.S_ISREG(os.fstat(fd).st_mode) else None
    finally:
        os.close(fd)


def refuse_unless_ours(out: Path, known: Collection[str], kind: str,
                       dirs: Mapping[str, Callable[[int, Path], Any]] | None = None, *,
                       dir_fd: int | None = None) -> Path:
    """Raise UsageError unless ``out`` is absent, empty, or a directory of ours: a marker file
    of kind ``kind``, and nothing but the regular files named in ``known`` and the
    subdirectories named in ``dirs`` (each then checked by ``dirs[name](its fd, its path)``).

    The directory is opened once and everything is read through that descriptor, so a
    directory swapped in by a concurrent writer midway cannot mix two listings. With
    ``dir_fd``, ``out``'s last component is looked up in that directory (``out`` names it in
    messages)."""
    dirs = dirs or {}
    where = out.name if dir_fd is not None else out
    for _ in range(5):
        try:
            mode = os.lstat(where, dir_fd=dir_fd).st_mode
        except FileNotFoundError:
            return out
        except NotADirectoryError:          # a parent is a file: nothing can be written there
            raise UsageError(f"{out}: cannot be created: a parent of it is not a directory") from None
        except OSError as exc:
            raise UsageError(f"{out}: cannot be checked ({exc.strerror or exc})") from None
        if stat.S_ISLNK(mode):
            raise UsageError(f"{out}: is a symbolic link; give the {kind} directory itself")
        not_a_dir = UsageError(f"{out}: exists and is not a directory; refusing to replace it with a {kind}")
        if not stat.S_ISDIR(mode):
            raise not_a_dir
        try:
            fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
        except FileNotFoundError:           # removed since the lstat: absent is fine
            return out
        except NotADirectoryError:          # replaced by something else since the lstat
            raise not_a_dir from None
        try:
            _check_open_dir(fd, out, known, kind, dirs)
            return out
        except (UsageError, FileNotFoundError):
            # Outside the lock a concurrent writer may swap in its report and remove the one we
            # are reading; only a directory still under the name can be refused.
            if _still_at(fd, where, dir_fd):
                raise
        finally:
            os.close(fd)
    raise UsageError(f"{out}: keeps being replaced while it is checked; try again")


def _still_at(fd: int, where: Path | str, dir_fd: int | None) -> bool:
    try:
        there = os.lstat(where, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _check_open_dir(fd: int, out: Path, known: Collection[str], kind: str,
                    dirs: Mapping[str, Callable[[int, Path], Any]]) -> None:
    with os.scandir(fd) as it:
        entries = sorted(it, key=lambda e: e.name)
    if not entries:
        return
    foreign = [e.name for e in entries if e.name != MARKER and e.name not in known and e.name not in dirs]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        raise _refusal(out, kind, f"it holds files a {kind} does not write ({shown})")
    # Names alone are not enough: a user's directory called report.md is not our file.
    for e in entries:
        if e.name in dirs and not e.is_dir(follow_symlinks=False):
            raise _refusal(out, kind, f"{e.name} is {_what(e)}, where a {kind} has a directory")
        if e.name not in dirs and not e.is_file(follow_symlinks=False):
            thing = f"its {MARKER}" if e.name == MARKER else e.name
            raise _refusal(out, kind, f"{thing} is {_what(e)}, where a {kind} has a regular file")
    if MARKER not in {e.name for e in entries}:
        raise _refusal(out, kind, f"it has no {MARKER} file (every directory {TOOL} writes has one)")
    theirs = marker_kind(_read_marker(fd))
    if theirs is None:
        raise _refusal(out, kind, f"its {MARKER} was not written by {TOOL}")
    if theirs != kind:
        raise _refusal(out, kind, f"its {MARKER} marks a {theirs} directory")
    for e in entries:
        if e.name in dirs:
            sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            try:
                dirs[e.name](sub, out / e.name)
            finally:
                os.close(sub)


# --- replacing a directory ------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_dir(given: Path, files: Callable[[], Mapping[str, bytes]], recheck: Callable[[Path], Any],
                kind: str) -> None:
    """Write ``files()`` ({relative path: content}; '/' makes subdirectories) and a marker of
    ``kind`` as the directory ``given``: rendered before anything is touched, written into a
    temporary sibling, then exchanged with the existing directory (``recheck``-ed under the
    lock right before). At every instant the name holds one complete directory (or none, if
    there was none before)."""
    out = Path(os.path.abspath(given))       # so '.', '..' or 'x/..' name a real directory entry
    parent, name = out.parent, out.name
    content = files()                        # rendering is the slow part: not under the lock
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent, out):
        # Every writer here holds this lock while its temporary directory exists, so any
        # temporary sibling seen now was left by a writer that died.
        _remove_litter(parent, name)
        tmp = _write_tmp(parent, name, kind, content)
        try:
            recheck(out)
            if not os.path.lexists(out):
                os.rename(tmp, out)              # atomic: the name appears complete
                return
            retired = _swap(tmp, out)
        except BaseException:
            _remove_tree(tmp)
            raise
        # The check ran a moment before the swap; a file the user added in between is theirs:
        # put the directory back untouched rather than delete it.
        try:
            recheck(retired)
        except UsageError:
            _remove_tree(_swap(retired, out))
            recheck(out)                         # the refusal, naming the directory itself
            raise
        _remove_tree(retired)


def _write_tmp(parent: Path, name: str, kind: str, content: Mapping[str, bytes]) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())     # mkdtemp makes it 0700; a report is as readable as any dir
        # The marker first, so a temporary directory left by a killed writer is recognisably ours.
        (tmp / MARKER).write_bytes(marker_bytes(kind))
        for fname, data in content.items():
            path = tmp / fname
            if path.parent != tmp:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except BaseException:
        _remove_tree(tmp)
        raise
    return tmp


def _load_renameat2() -> Callable[..., int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2     # glibc 2.28 and later
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the directory entries ``a`` and ``b`` atomically; False where the C library,
    kernel or file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _swap(new: Path, out: Path) -> Path:
    """Put the directory ``new`` at ``out``; returns where the previous ``out`` now is."""
    if _exchange(new, out):
        return new
    # Fallback only where renameat2(RENAME_EXCHANGE) is unavailable (no glibc symbol, old
    # kernel, a file system without it): two renames, between which the name is briefly
    # absent; a writer killed right there leaves both directories hidden as litter.
    old = out.with_name(f".{out.name}.old-{secrets.token_hex(4)}")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)                  # put the previous one back
        raise
    return old


def _remove_tree(path: Path) -> None:
    """Remove a directory we wrote, its marker last: a removal cut short leaves litter that
    still carries the marker (or nothing), which the next writer recognises and removes.
    What cannot be removed now is left for that next writer."""
    try:
        with os.scandir(path) as it:
            entries = list(it)
        for e in entries:
            if e.name == MARKER:
                continue
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path)
            else:
                os.unlink(e.path)
        if os.path.lexists(path / MARKER):
            os.unlink(path / MARKER)
        os.rmdir(path)
    except OSError:
        pass


def _is_litter(path: Path) -> bool:
    """A temporary sibling left by a killed writer: a real directory that is empty, carries our
    marker, or holds nothing but an empty marker (killed between creating and writing it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        names = os.listdir(fd)
        data = _read_marker(fd)
    finally:
        os.close(fd)
    return not names or marker_kind(data) is not None or (names == [MARKER] and data == b"")


def _remove_litter(parent: Path, name: str) -> None:
    prefixes = (f".{name}.tmp-", f".{name}.old-")
    with os.scandir(parent) as it:
        candidates = [Path(e.path) for e in it if e.name.startswith(prefixes)]
    for path in candidates:
        if _is_litter(path):
            _remove_tree(path)


@contextmanager
def _locked(parent: Path, out: Path) -> Iterator[None]:
    """Hold an exclusive flock on the parent directory itself: nothing is created in the
    user's tree, and the kernel drops the lock when its holder dies."""
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UsageError(
                        f"{out}: locked: another consortium process has been writing in {parent} for "
                        f"{LOCK_TIMEOUT:g} s; try again once it has finished") from None
                time.sleep(LOCK_POLL)
            except OSError as err:
                # A file system without flock on directories (some network ones): write unlocked;
                # the swap itself is still atomic.
                if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EBADF, errno.EINVAL):
                    raise
                break
        yield
    finally:
        os.close(fd)
