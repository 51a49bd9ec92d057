"""File helpers on top of `tf.io.gfile`: TF-style line reading and all-or-nothing writes.

Every path goes through `tf.io.gfile`, so local paths, `gs://` and the other TensorFlow file
systems all work.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import tensorflow as tf

# Big enough that the per-call overhead of gfile vanishes, small enough to bound memory.
_BLOCK_SIZE = 1 << 20
# The original prints a progress line every this many lines.
_PROGRESS_EVERY = 100000


def report_progress(lines_before: int, lines_after: int, verb: str) -> None:
    """Prints the original's "  <verb> line N" for each multiple of 100000 from one to the other.

    Args:
        lines_before: lines done before the current block.
        lines_after: lines done after it.
        verb: "processing" or "tokenizing", as in the original's messages.
    """
    first = (lines_before // _PROGRESS_EVERY + 1) * _PROGRESS_EVERY
    for line in range(first, lines_after + 1, _PROGRESS_EVERY):
        print(f"  {verb} line {line}")


def require_file(path: str, role: str) -> None:
    """Raises a `FileNotFoundError` naming `path` and its `role` when it does not exist.

    Args:
        path: the file that must exist.
        role: what the file is for, e.g. "source training data"; put in the message.

    Raises:
        FileNotFoundError: `path` does not exist.
    """
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"{role} file {path} not found")


def read_line_blocks(path: str, block_size: int = _BLOCK_SIZE) -> Iterator[bytes]:
    """Yields the bytes of `path` as blocks of whole lines, the way TF's `GFile` sees them.

    `tf.io.gfile.GFile` iteration (the original's way to read) drops every carriage return, not
    only those before a newline, and never yields an empty last line. The blocks follow those
    rules: all b"\\r" are removed, every block but the last ends with b"\\n", and no block is
    empty. Reading whole blocks rather than single lines is what makes the pipeline fast.

    Args:
        path: the file to read.
        block_size: how many bytes to read at a time; a longer line makes a longer block.

    Yields:
        bytes: one or more complete lines.

    Raises:
        FileNotFoundError: `path` does not exist.
    """
    require_file(path, "data")
    pending = b""
    with tf.io.gfile.GFile(path, "rb") as stream:
        while True:
            data = stream.read(block_size)
            if not data:
                break
            data = pending + data.replace(b"\r", b"")
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if cut:
                yield data[:cut]
    if pending:
        yield pending


def iter_lines(path: str) -> Iterator[bytes]:
    """Yields the lines of `path` exactly as iterating a TF `GFile` in "rb" mode does.

    Args:
        path: the file to read.

    Yields:
        bytes: one line, with its b"\\n" except maybe the last one, carriage returns removed.

    Raises:
        FileNotFoundError: `path` does not exist.
    """
    for block in read_line_blocks(path):
        # Only b"\n" is left as a line break once the carriage returns are gone.
        yield from block.splitlines(keepends=True)


def count_lines(path: str) -> int:
    """Counts the lines `iter_lines` would yield, without keeping them.

    Args:
        path: the file to count.

    Returns:
        int: the number of lines.

    Raises:
        FileNotFoundError: `path` does not exist.
    """
    count = 0
    last = b"\n"
    for block in read_line_blocks(path):
        count += block.count(b"\n")
        last = block
    return count + (not last.endswith(b"\n"))


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[tf.io.gfile.GFile]:
    """Opens a binary file that appears under `path` only once it is completely written.

    The data goes to a temporary name beside `path` which is renamed to `path` when the block
    ends normally and removed when it raises, so no half-written file is ever left under the
    final name.

    Args:
        path: the final name of the file.

    Yields:
        tf.io.gfile.GFile: the temporary file, opened in "wb" mode.

    Raises:
        Whatever the block raises, after removing the temporary file.
    """
    temporary = f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with tf.io.gfile.GFile(temporary, "wb") as stream:
            # GFile creates the file on the first write only; an empty output must exist too.
            stream.write(b"")
            yield stream
        tf.io.gfile.rename(temporary, path, overwrite=True)
    except BaseException:
        if tf.io.gfile.exists(temporary):
            tf.io.gfile.remove(temporary)
        raise
