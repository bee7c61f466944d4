"""Atomic file writes: write a temporary file next to the target, then ``os.replace`` it in.

A reader (another process, a resumed run) sees either the old file or the complete new one, never
a half-written one: ``os.replace`` is atomic on POSIX when both paths are on the same filesystem,
which a temporary file in the target's own directory guarantees. On failure the temporary file is
removed and the old file is left as it was.

Temporary files are named ``.<target name>.<random>.spikevision.tmp`` (directories
``.<target name>.tmp-<random>.spikevision.tmp``), so one left behind by a process killed mid-save
(``SIGKILL``, a node failure) is recognisable:
:func:`remove_stale_temporaries` deletes them (``cli/train.py`` calls it on the checkpoint
directory when a run starts).

A full disk or an exhausted quota raises :class:`~spikevision.errors.FileWriteError`, naming the
file and the reason, instead of a bare ``OSError`` from deep inside ``torch.save``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spikevision.errors import FileWriteError

TEMP_SUFFIX = ".spikevision.tmp"
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}


def _new_temporary(path: Path) -> Path:
    """Create (exclusively, with the usual umask-based mode) an empty temporary file for ``path``."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; write it in the ``with`` body.

    On success the temporary file is flushed to disk (``fsync``, unless ``fsync=False``) and
    renamed over ``path``; on any exception it is deleted and ``path`` keeps its old content.
    The parent directory is created if missing. A disk-full error becomes
    :class:`~spikevision.errors.FileWriteError`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(path)
    try:
        yield tmp
        if fsync:
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        _raise_if_no_space(e, path)
        raise


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; fill it in the ``with`` body.

    On success it is renamed to ``path`` (an existing ``path`` is first moved aside, then
    deleted, so readers never see a mix of old and new files); on any exception it is deleted
    and ``path`` is left as it was. A disk-full error becomes
    :class:`~spikevision.errors.FileWriteError`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", suffix=TEMP_SUFFIX, dir=path.parent))
    try:
        yield tmp
        if path.exists():  # overwrite, or an incomplete leftover
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", suffix=TEMP_SUFFIX, dir=path.parent))
            os.replace(path, old / "data")
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old / "data", path)  # put the previous content back
                old.rmdir()
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _raise_if_no_space(e, path)
        raise


def _raise_if_no_space(e: BaseException, path: Path) -> None:
    """Turn a disk-full or over-quota ``OSError`` into a :class:`FileWriteError` naming ``path``."""
    if isinstance(e, OSError) and e.errno in _NO_SPACE and not isinstance(e, FileWriteError):
        raise FileWriteError(
            f"could not write {path}: {os.strerror(e.errno)} on the filesystem holding "
            f"{path.parent}. The previous {path.name} (if any) is unchanged; free some space "
            "(or write elsewhere) and run again.",
            errno_=e.errno, filename=str(path),
        ) from e


def atomic_write_bytes(path: str | os.PathLike, data: bytes, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path, fsync=fsync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_torch_save(obj: Any, path: str | os.PathLike, fsync: bool = True) -> Path:
    """``torch.save(obj, path)``, atomically; returns the path."""
    import torch

    with atomic_path(path, fsync=fsync) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def remove_stale_temporaries(directory: str | os.PathLike, min_age_s: float = 0.0,
                             recursive: bool = False) -> list[Path]:
    """Delete the temporary files and directories that :func:`atomic_path` and
    :func:`atomic_directory` leave when their process is killed mid-write.

    Only entries named ``.*<TEMP_SUFFIX>`` are touched; those modified less than ``min_age_s``
    seconds ago are kept (a concurrent writer may still own them). A missing directory is fine.
    Returns the removed paths.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    pattern = f".*{TEMP_SUFFIX}"
    now = time.time()
    removed = []
    for p in sorted(directory.rglob(pattern) if recursive else directory.glob(pattern)):
        try:
            if now - p.lstat().st_mtime < min_age_s:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError:  # gone already (another process cleaned it) or not ours to delete
            continue
        removed.append(p)
    return removed
