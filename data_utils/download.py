"""Downloading files over HTTP(S) with a progress bar, resuming, and no partial final file."""

from __future__ import annotations

import http.client
import os
import re
import sys
import urllib.error
import urllib.request
from typing import TextIO

import tensorflow as tf

_CHUNK_SIZE = 1 << 16
_BAR_WIDTH = 30
_MIB = float(1 << 20)


class DownloadError(OSError):
    """A download failed: HTTP error, unreachable server, or connection lost mid-way."""


class _ProgressBar:
    """A one-line text progress bar, redrawn in place on a stream (stderr by default)."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self._label = label
        self._total = total
        self._stream = stream if stream is not None else sys.stderr
        self._last_drawn: int | None = None

    def update(self, done: int) -> None:
        """Redraws the bar for `done` bytes, at most once per percent (or MiB if size unknown)."""
        if self._total:
            step = done * 100 // self._total
            text = (
                f"[{'#' * (done * _BAR_WIDTH // self._total):<{_BAR_WIDTH}}] {step:3d}% "
                f"{done / _MIB:.1f}/{self._total / _MIB:.1f} MiB"
            )
        else:
            step = done >> 20
            text = f"{done / _MIB:.1f} MiB"
        if step != self._last_drawn:
            self._last_drawn = step
            self._stream.write(f"\r{self._label} {text}")
            self._stream.flush()

    def close(self) -> None:
        """Ends the bar's line."""
        self._stream.write("\n")
        self._stream.flush()


def _total_from_content_range(headers: http.client.HTTPMessage | None) -> int | None:
    """The full size from a "Content-Range: bytes a-b/total" or "bytes */total" header."""
    match = re.search(r"/(\d+)\s*$", (headers or {}).get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _open(url: str, offset: int, timeout: float):
    """Opens `url`, asking for the bytes from `offset` on when it is not 0."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _connect(url: str, part_path: str, timeout: float):
    """Opens `url`, resuming after the bytes already in `part_path` when there are some.

    Returns:
        (response, offset): the open response (None when `part_path` turns out to be complete
        already) and how many bytes of `part_path` it continues from.

    Raises:
        DownloadError: HTTP error or unreachable server.
    """
    offset = tf.io.gfile.stat(part_path).length if tf.io.gfile.exists(part_path) else 0
    try:
        try:
            return _open(url, offset, timeout), offset
        except urllib.error.HTTPError as error:
            error.close()
            if error.code != 416 or not offset:
                raise
            # Range not satisfiable: the part file holds the whole file already (an earlier
            # call ended before the rename), or it is longer than the file and useless.
            if _total_from_content_range(error.headers) == offset:
                return None, offset
            tf.io.gfile.remove(part_path)
            return _open(url, 0, timeout), 0
    except urllib.error.HTTPError as error:
        message = f"downloading {url} failed: HTTP {error.code} {error.reason}"
        raise DownloadError(message) from error
    except OSError as error:  # URLError, refused connections and timeouts are all OSErrors.
        raise DownloadError(f"downloading {url} failed: {error}") from error


def download(url: str, filepath: str, timeout: float = 60.0, progress: bool = True) -> None:
    """Downloads `url` to `filepath`; the file appears under that name only once complete.

    The data goes to `filepath + ".part"` first. If such a file is left from an interrupted
    download, only the rest is asked for (HTTP Range); a server that ignores the range makes it
    start over. A failed download leaves the ".part" file for the next call to resume from.

    Args:
        url: what to download (http, https, or any scheme urllib opens, such as file).
        filepath: where to put it; any `tf.io.gfile` path.
        timeout: seconds to wait for the server at a time.
        progress: whether to draw a progress bar on stderr.

    Raises:
        DownloadError: the server answered with an HTTP error, could not be reached, or the
            connection ended before all the announced bytes arrived.
    """
    part_path = filepath + ".part"
    response, offset = _connect(url, part_path, timeout)
    if response is None:
        tf.io.gfile.rename(part_path, filepath, overwrite=True)
        return
    with response:
        resumed = bool(offset) and response.status == 206
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        received = offset
        bar = _ProgressBar(os.path.basename(filepath), total) if progress else None
        try:
            with tf.io.gfile.GFile(part_path, "ab" if resumed else "wb") as part_file:
                while chunk := response.read(_CHUNK_SIZE):
                    part_file.write(chunk)
                    received += len(chunk)
                    if bar:
                        bar.update(received)
        except (OSError, http.client.HTTPException) as error:
            raise DownloadError(
                f"downloading {url} failed after {received} bytes ({error!r}); the partial "
                f"data is kept in {part_path} and the next call resumes from it"
            ) from error
        finally:
            if bar:
                bar.close()
    if total is not None and received != total:
        raise DownloadError(
            f"downloading {url} stopped after {received} of {total} bytes; the partial data is "
            f"kept in {part_path} and the next call resumes from it"
        )
    tf.io.gfile.rename(part_path, filepath, overwrite=True)


def maybe_download(directory: str, filename: str, url: str) -> str:
    """Downloads `url` to `directory/filename` unless that file already exists.

    Creates `directory` if needed. See `download` for the progress bar, resuming and the
    guarantee that no partial file is left under the final name.

    Args:
        directory: where to put the file; any `tf.io.gfile` path.
        filename: the file's name in `directory`.
        url: where to get it.

    Returns:
        str: the path of the file, `os.path.join(directory, filename)`.

    Raises:
        DownloadError: the download failed (see `download`).
    """
    if not tf.io.gfile.exists(directory):
        print(f"Creating directory {directory}")
        tf.io.gfile.makedirs(directory)
    filepath = os.path.join(directory, filename)
    if not tf.io.gfile.exists(filepath):
        print(f"Downloading {url} to {filepath}")
        download(url, filepath)
        print("Successfully downloaded", filename, tf.io.gfile.stat(filepath).length, "bytes")
    return filepath
