"""Parallel corpora in the tab-separated pair format, split into the files `prepare_data` takes.

The format is the one of the Tatoeba sentence pairs packaged by manythings.org/anki: one pair per
line, `source<TAB>target`, optionally followed by more tab-separated columns (attribution,
licence) which are ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import tensorflow as tf

from data_utils import _io

_UTF8_BOM = b"\xef\xbb\xbf"
# Lines kept in memory per output file before they are written out.
_FLUSH_EVERY = 10000
# How many malformed line numbers a message lists before "...".
_SHOWN_LINE_NUMBERS = 10


class CorpusFiles(NamedTuple):
    """The four files of a split parallel corpus, in `prepare_data`'s argument order."""

    from_train_path: str
    to_train_path: str
    from_dev_path: str
    to_dev_path: str


def corpus_files(directory: str, from_suffix: str, to_suffix: str) -> CorpusFiles:
    """The paths `directory/{train,dev}.{from_suffix,to_suffix}` as a `CorpusFiles`.

    Args:
        directory: the directory.
        from_suffix: the source language's file extension, e.g. "en".
        to_suffix: the target language's file extension, e.g. "fr".

    Returns:
        CorpusFiles: the four paths.
    """
    return CorpusFiles(
        *(
            os.path.join(directory, f"{split}.{suffix}")
            for split in ("train", "dev")
            for suffix in (from_suffix, to_suffix)
        )
    )


def read_tsv_pairs(
    path: str, *, swap: bool = False, errors: str = "strict"
) -> Iterator[tuple[bytes, bytes]]:
    """Reads sentence pairs from a tab-separated file, streaming it.

    Columns after the second are ignored. Line ends (LF or CRLF) and a UTF-8 byte order mark
    are dropped; the sentences are otherwise kept byte for byte. A line is malformed when it
    has no tab or when its source or target is empty or only whitespace.

    Args:
        path: the file; any `tf.io.gfile` path.
        swap: keyword-only; if true the second column is the source and the first the target
            (manythings files are English first).
        errors: keyword-only; "strict" raises on the first malformed line, "skip" skips
            malformed lines and reports their count and line numbers on stdout at the end.

    Returns:
        iterator of (source, target): bytes, without line end, read as it is consumed.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: a malformed line with errors="strict" (naming file, line number and
            content), or an unknown `errors` value.
    """
    if errors not in ("strict", "skip"):
        raise ValueError(f'errors must be "strict" or "skip", not {errors!r}')
    _io.require_file(path, "parallel corpus")
    # A generator of its own, so that the checks above happen at the call.
    return _pairs(path, swap, errors == "strict")


def _pairs(path: str, swap: bool, strict: bool) -> Iterator[tuple[bytes, bytes]]:
    skipped = 0
    first_skipped = []
    for number, line in enumerate(_io.iter_lines(path), start=1):
        if number == 1 and line.startswith(_UTF8_BOM):
            line = line[len(_UTF8_BOM) :]
        columns = line.rstrip(b"\n").split(b"\t")
        if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
            if strict:
                raise ValueError(
                    f"{path}, line {number}: expected 'source<TAB>target[<TAB>...]' with "
                    f"non-empty sentences, got {line!r}"
                )
            skipped += 1
            if len(first_skipped) < _SHOWN_LINE_NUMBERS:
                first_skipped.append(str(number))
            continue
        yield (columns[1], columns[0]) if swap else (columns[0], columns[1])
    if skipped:
        more = ", ..." if skipped > len(first_skipped) else ""
        print(f"{path}: skipped {skipped} malformed lines (lines {', '.join(first_skipped)}{more})")


def is_dev_sentence(source: bytes, dev_fraction: float, seed: int = 0) -> bool:
    """Decides deterministically whether a pair goes to the dev set, from its source sentence.

    The decision is a hash of (seed, source), so it does not depend on the file order or the
    machine, and all pairs with the same source sentence land on the same side: a dev
    sentence is never also seen, with another translation, in training.

    Args:
        source: the source sentence.
        dev_fraction: the share of source sentences that go to dev, between 0 and 1.
        seed: changes which sentences are chosen.

    Returns:
        bool: True for dev, False for train.
    """
    digest = hashlib.sha256(b"%d\t%s" % (seed, source)).digest()
    return struct.unpack(">Q", digest[:8])[0] < dev_fraction * 2.0**64


def write_pairs(pairs: Iterable[tuple[bytes, bytes, bool]], files: CorpusFiles) -> dict[str, int]:
    """Writes sentence pairs into the train or dev files of `files`, all or nothing.

    Args:
        pairs: (source, target, is_dev) items, the sentences as bytes without line ends;
            consumed as a stream, written in order.
        files: where to write; directories are created. The files appear under their names
            only once every pair is written; if anything fails none of them is written.

    Returns:
        dict: {"train": number of training pairs, "dev": number of dev pairs}.

    Raises:
        ValueError: a sentence contains a line break (it would shift all later lines).
    """
    for path in files:
        tf.io.gfile.makedirs(os.path.dirname(path) or ".")
    counts = {"train": 0, "dev": 0}
    pending: list[list[bytes]] = [[] for _ in files]
    with contextlib.ExitStack() as stack:
        streams = [stack.enter_context(_io.atomic_output(path)) for path in files]
        for source, target, is_dev in pairs:
            if any(b"\n" in side or b"\r" in side for side in (source, target)):
                raise ValueError(f"a sentence contains a line break: {source!r} / {target!r}")
            first = 2 if is_dev else 0
            pending[first].append(source + b"\n")
            pending[first + 1].append(target + b"\n")
            counts["dev" if is_dev else "train"] += 1
            if len(pending[first]) >= _FLUSH_EVERY:
                for index in (first, first + 1):
                    streams[index].write(b"".join(pending[index]))
                    pending[index].clear()
        for stream, lines in zip(streams, pending):
            stream.write(b"".join(lines))
    return counts


def write_tsv_corpus(
    tsv_path: str,
    directory: str,
    *,
    from_suffix: str = "en",
    to_suffix: str = "fr",
    dev_fraction: float = 0.01,
    seed: int = 0,
    swap: bool = False,
    errors: str = "strict",
) -> CorpusFiles:
    """Splits a tab-separated parallel corpus into train.<from>, train.<to>, dev.<from>, dev.<to>.

    Streams the input; memory does not grow with the corpus. The output lines keep the pairs'
    order in the input. See `read_tsv_pairs` and `is_dev_sentence`.

    Args:
        tsv_path: the tab-separated file, e.g. manythings' fra.txt.
        directory: where to write the four files; created if missing.
        from_suffix: extension of the source-language files.
        to_suffix: extension of the target-language files.
        dev_fraction: the share of source sentences that go to dev.
        seed: changes which sentences go to dev.
        swap: whether the second column is the source language.
        errors: "strict" or "skip", for malformed lines.

    Returns:
        CorpusFiles: the four paths, ready for `prepare_data`.

    Raises:
        FileNotFoundError: `tsv_path` does not exist.
        ValueError: a malformed line (with errors="strict"), or bad `dev_fraction`/`errors`.
            Nothing is written then.
    """
    if not 0.0 <= dev_fraction <= 1.0:
        raise ValueError(f"dev_fraction must be between 0 and 1, not {dev_fraction}")
    files = corpus_files(directory, from_suffix, to_suffix)
    counts = write_pairs(
        (
            (source, target, is_dev_sentence(source, dev_fraction, seed))
            for source, target in read_tsv_pairs(tsv_path, swap=swap, errors=errors)
        ),
        files,
    )
    print(f"Wrote {counts['train']} training and {counts['dev']} dev pairs to {directory}")
    return files
