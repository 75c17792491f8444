"""A saved numpy array (.npy) read a slice at a time with pread, never memory-mapped.

A question reads a few slices of the saved retrieval index: the postings of its words, the ids of
the best chunks, the stems of a dozen articles. Memory-mapped, every page a question touches (and
the kernel's read-around, 64 KB per touch) stays mapped into the process for its lifetime, and
over a few hundred distinct questions most of the 60 MB of index files of a 100k-chunk store
became part of the bot's resident memory. Read with pread, the bytes stay in the kernel's page
cache (shared, reclaimable, and just as fast to read again) and only the slices are copied.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np


class SavedArray:
    """A one-dimensional .npy file: `len`, `a[i]` and `a[start:stop]` (step 1), as numpy reads."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            shape, fortran_order, dtype = (
                np.lib.format.read_array_header_1_0(handle)
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0(handle)
            )
            self._data_offset = handle.tell()
        if len(shape) != 1 or dtype.hasobject:
            raise ValueError(f"{path.name}: not a one-dimensional array of plain values")
        del fortran_order  # irrelevant for one dimension
        self.dtype: np.dtype[Any] = dtype
        self._length = int(shape[0])
        self._fd = os.open(path, os.O_RDONLY)
        # Closed with the array: an index replaced by a newer generation is dropped, not closed.
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._length)
            if step != 1:
                raise IndexError("SavedArray reads contiguous slices only")
            return self._read(start, max(stop, start))
        index = int(key)
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"index {key} is out of range for {self._length} items")
        return self._read(index, index + 1)[0]

    def _read(self, start: int, stop: int) -> Any:
        size = self.dtype.itemsize
        wanted = (stop - start) * size
        data = os.pread(self._fd, wanted, self._data_offset + start * size)
        if len(data) != wanted:
            raise OSError(f"the saved array ended early ({len(data)} of {wanted} bytes read)")
        return np.frombuffer(data, dtype=self.dtype)
