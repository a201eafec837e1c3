"""Kaldi ark/scp feature I/O over kaldiio, with atomic writing.

A feature set is `feats.ark` (binary matrices) plus `feats.scp` (`<utt> <ark-path>:<offset>`).
float32/float64 matrices are Kaldi's binary matrices (FM/DM); float16 ones (dumped upstream states)
are stored as kaldiio's NPY records, which Kaldi's own tools cannot read but kaldiio does.
`ArkScpWriter` writes both under temporary names and renames them into place only when
closed without error, so a killed job leaves no half-written scp behind.
"""
from __future__ import annotations

import contextlib
import io
import os
import struct
from pathlib import Path
from typing import Iterator

import kaldiio
import numpy as np
from kaldiio.matio import write_array

from jsertk.utils.atomic import STORAGE_ERRNOS, storage_errors
from jsertk.utils.errors import OutputError


def _write_npy(fd, array: np.ndarray) -> None:
    """kaldiio's NPY record (`save_ark(write_function="numpy")`): b"NPY", a length header, np.save bytes."""
    buf = io.BytesIO()
    np.save(buf, array)
    data = buf.getvalue()
    n = (len(data).bit_length() + 7) // 8
    fd.write(b"NPY" + struct.pack("<B", n) + len(data).to_bytes(n, "little") + data)


def read_scp(path: str | os.PathLike) -> Iterator[tuple[str, np.ndarray]]:
    """(key, matrix) for every line of an scp, in file order, reading each ark once."""
    yield from kaldiio.load_scp_sequential(str(path))


def load_scp(path: str | os.PathLike) -> "kaldiio.utils.LazyLoader":
    """Random access to an scp: a mapping key -> matrix that reads on demand."""
    return kaldiio.load_scp(str(path))


def read_ark(path: str | os.PathLike) -> Iterator[tuple[str, np.ndarray]]:
    yield from kaldiio.load_ark(str(path))


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


class ArkScpWriter:
    """Write matrices to an ark and its scp; both appear atomically on `close()`.

    >>> with ArkScpWriter("dump/feats.ark", "dump/feats.scp") as w:
    ...     w.write("utt1", np.zeros((10, 80), dtype=np.float32))

    The scp names the ark by `ark_path` as given (relative paths stay relative).
    """

    def __init__(self, ark_path: str | os.PathLike, scp_path: str | os.PathLike):
        self.ark_path, self.scp_path = Path(ark_path), Path(scp_path)
        self.ark_path.parent.mkdir(parents=True, exist_ok=True)
        self.scp_path.parent.mkdir(parents=True, exist_ok=True)
        self._ark = open(_tmp(self.ark_path), "wb")
        self._scp = open(_tmp(self.scp_path), "w", encoding="utf-8")
        self._keys: set[str] = set()
        self.count = 0

    def write(self, key: str, array: np.ndarray) -> None:
        if not key or any(c.isspace() for c in key):
            raise ValueError(f"feature key '{key}' must be non-empty and contain no whitespace")
        if key in self._keys:
            raise ValueError(f"feature key '{key}' written twice to {self.ark_path}")
        self._keys.add(key)
        self._ark.write((key + " ").encode("utf-8"))
        offset = self._ark.tell()
        array = np.ascontiguousarray(array)
        if array.dtype == np.float16:
            _write_npy(self._ark, array)
        else:
            write_array(self._ark, array)
        self._scp.write(f"{key} {self.ark_path}:{offset}\n")
        self.count += 1

    def close(self) -> None:
        for f in (self._ark, self._scp):
            f.flush()
            os.fsync(f.fileno())
            f.close()
        os.replace(_tmp(self.ark_path), self.ark_path)  # ark first: the scp must never point at nothing
        os.replace(_tmp(self.scp_path), self.scp_path)

    def abort(self) -> None:
        for f in (self._ark, self._scp):
            with contextlib.suppress(OSError):  # a full disk fails the final flush too
                f.close()
        for p in (self.ark_path, self.scp_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_tmp(p))

    def __enter__(self) -> "ArkScpWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                with storage_errors(self.ark_path):
                    self.close()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()
            if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
                raise OutputError(f"{self.ark_path}: cannot write it: {exc.strerror} (nothing partial is "
                                  "left)") from None
