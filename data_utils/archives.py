"""Unpacking .gz and .tar archives through `tf.io.gfile`, never leaving half-written files."""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import tarfile
import zlib
from collections.abc import Mapping

import tensorflow as tf

from data_utils import _io

_COPY_BUFFER = 1 << 20


def gunzip_file(gz_path: str, new_path: str) -> None:
    """Decompresses the gzip file `gz_path` into `new_path`.

    Args:
        gz_path: the .gz file; any `tf.io.gfile` path.
        new_path: the file to write; it appears only once completely written.

    Raises:
        FileNotFoundError: `gz_path` does not exist.
        EOFError: `gz_path` is truncated (the exception the original raised too).
        gzip.BadGzipFile: `gz_path` is not gzip data or its data are corrupt.
    """
    _io.require_file(gz_path, "gzip")
    print(f"Unpacking {gz_path} to {new_path}")
    try:
        with tf.io.gfile.GFile(gz_path, "rb") as raw, gzip.GzipFile(fileobj=raw) as gz_file:
            with _io.atomic_output(new_path) as new_file:
                shutil.copyfileobj(gz_file, new_file, _COPY_BUFFER)
    except EOFError as error:
        raise EOFError(
            f"{gz_path} is truncated (the compressed data end before the end-of-stream "
            f"marker); nothing was written to {new_path}"
        ) from error
    except (gzip.BadGzipFile, zlib.error) as error:
        raise gzip.BadGzipFile(
            f"{gz_path} is not valid gzip data ({error}); nothing was written to {new_path}"
        ) from error


def _safe_member_path(archive: str, name: str) -> str:
    """Checks that a member name stays inside the extraction directory, and returns it."""
    normalized = posixpath.normpath(name)
    if posixpath.isabs(normalized) or normalized == ".." or normalized.startswith("../"):
        raise ValueError(f"{archive} has a member {name!r} that points outside its directory")
    return normalized


def _regular_member(archive: tarfile.TarFile, tar_path: str, name: str) -> tarfile.TarInfo:
    """The member `name` of `archive`, which must be a regular file."""
    try:
        info = archive.getmember(name)
    except KeyError:
        raise KeyError(f"{tar_path} has no member {name}") from None
    if not info.isfile():
        raise ValueError(f"member {name} of {tar_path} is not a regular file")
    return info


def extract_tar(
    tar_path: str, directory: str, members: Mapping[str, str] | None = None
) -> list[str]:
    """Extracts regular files from a tar archive (plain or compressed) into `directory`.

    Args:
        tar_path: the archive; any `tf.io.gfile` path; compression is detected.
        directory: where to put the files.
        members: archive name -> name to write it under (relative to `directory`); None
            extracts every regular file under its own name.

    Returns:
        list of str: the paths written.

    Raises:
        FileNotFoundError: `tar_path` does not exist.
        KeyError: a name in `members` is not in the archive.
        ValueError: the archive is corrupt or truncated, a requested member is not a regular
            file, or a member would land outside `directory`. Files completed before the
            problem was found are kept; no partial file is left.
    """
    _io.require_file(tar_path, "tar")
    written = []
    try:
        with tf.io.gfile.GFile(tar_path, "rb") as raw:
            with tarfile.open(fileobj=raw, mode="r:*") as archive:
                if members is None:
                    chosen = {info: info.name for info in archive if info.isfile()}
                else:
                    chosen = {
                        _regular_member(archive, tar_path, name): target
                        for name, target in members.items()
                    }
                for info, target in chosen.items():
                    path = os.path.join(directory, _safe_member_path(tar_path, target))
                    tf.io.gfile.makedirs(os.path.dirname(path))
                    with archive.extractfile(info) as source, _io.atomic_output(path) as sink:
                        shutil.copyfileobj(source, sink, _COPY_BUFFER)
                    written.append(path)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(f"{tar_path} is corrupt or truncated: {error}") from error
    return written
