"""Atomic file and directory writing: a killed process leaves the old file or nothing, never half."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Iterator

from jsertk.utils.errors import OutputError


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; rename it over `path` on success.

    On an exception the temporary file is removed and `path` keeps its old content.
    """
    path = Path(path)
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    kwargs = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
    try:
        with storage_errors(path):
            f = open(tmp, mode, **kwargs)
        with f:
            with storage_errors(path, WRITE_ERRNOS):  # writes of the caller's body into `f`
                yield f
            with storage_errors(path):
                f.flush()
                os.fsync(f.fileno())
        with storage_errors(path):
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError, OSError):
            os.unlink(tmp)
        raise


# errno values that mean the output cannot be written there (not a bug)
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})  # only a write raises these


@contextlib.contextmanager
def storage_errors(path: str | os.PathLike, errnos: frozenset = STORAGE_ERRNOS) -> Iterator[None]:
    """An OSError of a full disk, a read-only or a forbidden output as an OutputError naming `path`."""
    try:
        yield
    except OSError as e:
        if e.errno not in errnos:
            raise
        raise OutputError(f"{path}: cannot write it: {e.strerror} (the previous file, if any, is kept; nothing "
                          "partial is left)") from None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as f:
        f.write(text)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Build a directory under a temporary name, then swap it in place of `path`.

    The old directory (if any) is removed only after the new one is complete.
    """
    path = Path(path)
    with storage_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old", dir=path.parent))
            os.replace(path, old / "d")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
