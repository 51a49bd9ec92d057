"""Reading token-id files into buckets and turning bucket entries into time-major batches.

Layout of a batch (as the original tutorial feeds its placeholders):
  encoder inputs: `encoder_size` int32 vectors `[batch]`; each sentence padded with PAD_ID to
    `encoder_size`, then reversed (the padding comes first);
  decoder inputs: `decoder_size` int32 vectors `[batch]`; GO_ID, the target, then PAD_ID;
  target weights: `decoder_size` float32 vectors `[batch]`; 0 where the next decoder input (the
    target at that position) is PAD_ID and at the last position, else 1.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence
from typing import Union

import numpy as np
import tensorflow as tf

from data_utils import EOS_ID, GO_ID, PAD_ID

Pair = tuple[list[int], list[int]]
# data[bucket_id] is the list of (source ids, target ids) pairs of that bucket.
BucketedData = Union[Sequence[Sequence[Pair]], Mapping[int, Sequence[Pair]]]


def read_data(
    source_path: str,
    target_path: str,
    buckets: Sequence[tuple[int, int]],
    max_size: int | None = None,
) -> list[list[Pair]]:
    """Reads parallel token-id files and puts each pair into the first bucket it fits.

    A pair fits bucket (I, O) when len(source) < I and len(target + [EOS_ID]) < O; EOS_ID is
    appended to every target. Pairs fitting no bucket are dropped, as in the original.

    Args:
      source_path: file of source token ids, one sentence per line, ids separated by spaces.
      target_path: the aligned file of target token ids.
      buckets: (encoder length, decoder length) pairs, increasing.
      max_size: read at most this many lines; 0 or None reads everything.

    Returns:
      data_set: list with one list of [source_ids, target_ids] pairs per bucket.

    Raises:
      ValueError: a line holds something other than integers (names file and line).
      FileNotFoundError: a file does not exist.
    """
    data_set: list[list[Pair]] = [[] for _ in buckets]
    for path in (source_path, target_path):
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"token-id file {path} does not exist")
    with tf.io.gfile.GFile(source_path, mode="r") as source_file, \
            tf.io.gfile.GFile(target_path, mode="r") as target_file:
        source, target = source_file.readline(), target_file.readline()
        counter = 0
        while source and target and (not max_size or counter < max_size):
            counter += 1
            if counter % 100000 == 0:
                print(f"  reading data line {counter}")
                sys.stdout.flush()
            source_ids = _parse_ids(source, source_path, counter)
            target_ids = _parse_ids(target, target_path, counter)
            target_ids.append(EOS_ID)
            for bucket_id, (source_size, target_size) in enumerate(buckets):
                if len(source_ids) < source_size and len(target_ids) < target_size:
                    data_set[bucket_id].append([source_ids, target_ids])
                    break
            source, target = source_file.readline(), target_file.readline()
    return data_set


def _parse_ids(line: str, path: str, line_number: int) -> list[int]:
    try:
        return [int(x) for x in line.split()]
    except ValueError:
        raise ValueError(
            f"{path}, line {line_number}: expected token ids (integers separated by spaces), "
            f"got {line.strip()[:80]!r}"
        ) from None


def bucket_scale(data_set: Sequence[Sequence[Pair]]) -> list[float]:
    """Cumulative share of each bucket in the data, the original's `train_buckets_scale`.

    Args:
      data_set: per bucket, its pairs.

    Returns:
      Increasing floats ending at 1.0; bucket i owns the interval [scale[i-1], scale[i]).

    Raises:
      ValueError: no bucket holds any pair.
    """
    sizes = [len(bucket) for bucket in data_set]
    total = float(sum(sizes))
    if total == 0:
        raise ValueError("no sentence pair fits any bucket: the training data is empty or "
                         "every sentence is too long")
    return [sum(sizes[: i + 1]) / total for i in range(len(sizes))]


def choose_bucket(scale: Sequence[float], rng: np.random.RandomState | None = None) -> int:
    """Draws a bucket in proportion to its size, with numpy's global RNG like the original.

    Args:
      scale: the output of `bucket_scale`.
      rng: draw with this generator instead of numpy's global one.

    Returns:
      The bucket id.
    """
    random_number_01 = (rng or np.random).random_sample()
    return min(i for i in range(len(scale)) if scale[i] > random_number_01)


def token_batch_sizes(batch_tokens: int, buckets: Sequence[tuple[int, int]]) -> list[int]:
    """Pairs per batch of each bucket when batches are sized in tokens (`--batch_tokens`).

    A bucket's batch holds max(1, batch_tokens // its decoder length) pairs, so that every
    batch pads to about the same number of target positions: short buckets get more pairs.

    Args:
      batch_tokens: target positions (padding included) per batch.
      buckets: (encoder length, decoder length) pairs.

    Returns:
      The batch size of each bucket.

    Raises:
      ValueError: `batch_tokens` below 1.
    """
    if batch_tokens < 1:
        raise ValueError(f"batch_tokens must be at least 1, got {batch_tokens}")
    return [max(1, batch_tokens // decoder_size) for _, decoder_size in buckets]


def bucket_for_sentence(num_tokens: int, buckets: Sequence[tuple[int, int]]) -> tuple[int, bool]:
    """The bucket the decoder uses for a sentence of `num_tokens` tokens.

    Args:
      num_tokens: the sentence's length in tokens.
      buckets: (encoder length, decoder length) pairs, increasing.

    Returns:
      (bucket_id, truncated): the first bucket whose encoder length is >= num_tokens, or the
      last bucket and True when the sentence is longer than every bucket (only its last
      encoder-length tokens are then read, as in the original).
    """
    for i, (encoder_size, _) in enumerate(buckets):
        if encoder_size >= num_tokens:
            return i, False
    return len(buckets) - 1, True


def get_batch(
    data: BucketedData,
    bucket_id: int,
    buckets: Sequence[tuple[int, int]],
    batch_size: int,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Draws `batch_size` pairs of a bucket (with Python's `random.choice`) and lays them out.

    Args:
      data: per bucket id, its (source ids, target ids) pairs.
      bucket_id: the bucket to draw from.
      buckets: (encoder length, decoder length) pairs.
      batch_size: sentences per batch.

    Returns:
      (encoder_inputs, decoder_inputs, target_weights): see `make_batch`.

    Raises:
      ValueError: the bucket holds no pair.
    """
    pairs = _bucket_pairs(data, bucket_id, buckets)
    return make_batch([random.choice(pairs) for _ in range(batch_size)], *buckets[bucket_id])


class LengthSortedBatches:
    """Batches of pairs of similar target length, trimmed to their longest target.

    The original draws a bucket's pairs at random and pads every target to the bucket's
    decoder length: on Tatoeba's subwords that is 18 decoder positions per pair for 11.7 real
    ones. Here a batch is a random window of the bucket's pairs sorted by target length (ties
    in random order), and its decoder length is its longest target plus GO: 35% fewer decoder
    positions on that corpus. Only padding after the last target of every pair is cut, which
    no kept position reads, so the loss of a batch is what the untrimmed batch gives. The
    encoder keeps the bucket's length, so the padding the encoder sees in training is the
    padding decoding gives it.

    Args:
      data: per bucket, its pairs (`read_data`).
    """

    def __init__(self, data: Sequence[Sequence[Pair]]):
        self.data = data
        self._order = []
        for bucket in data:
            lengths = np.fromiter((len(target) for _, target in bucket), np.int64, len(bucket))
            shuffled = np.random.permutation(len(bucket))
            self._order.append(shuffled[np.argsort(lengths[shuffled], kind="stable")])

    def get_batch(
        self, bucket_id: int, buckets: Sequence[tuple[int, int]], batch_size: int
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """`batch_size` neighbouring pairs of a bucket in length order, laid out.

        Args:
          bucket_id: the bucket to draw from.
          buckets: (encoder length, decoder length) pairs.
          batch_size: sentences per batch (a bucket with fewer pairs is drawn from at random
            to fill it).

        Returns:
          (encoder_inputs, decoder_inputs, target_weights): see `make_batch`; the decoder
          length is the longest target of the batch plus one, at most the bucket's.

        Raises:
          ValueError: the bucket holds no pair.
        """
        pairs = _bucket_pairs(self.data, bucket_id, buckets)
        order = self._order[bucket_id]
        start = random.randrange(max(1, len(order) - batch_size + 1))
        batch = [pairs[i] for i in order[start:start + batch_size]]
        batch += [random.choice(pairs) for _ in range(batch_size - len(batch))]
        encoder_size, decoder_size = buckets[bucket_id]
        longest = max(len(target) for _, target in batch)
        return make_batch(batch, encoder_size, min(decoder_size, longest + 1))


def _bucket_pairs(data: BucketedData, bucket_id: int,
                  buckets: Sequence[tuple[int, int]]) -> Sequence[Pair]:
    """The pairs of a bucket; raises ValueError naming an empty one."""
    if not len(data[bucket_id]):
        raise ValueError(f"bucket {bucket_id} {tuple(buckets[bucket_id])} holds no sentence pair")
    return data[bucket_id]


def make_batch(
    pairs: Sequence[Pair], encoder_size: int, decoder_size: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Lays out (source ids, target ids) pairs as the time-major batch the model reads.

    Args:
      pairs: the batch's pairs, in batch order.
      encoder_size: encoder length of the bucket.
      decoder_size: decoder length of the bucket.

    Returns:
      (encoder_inputs, decoder_inputs, target_weights): lists of `encoder_size`,
      `decoder_size`, `decoder_size` vectors of shape [len(pairs)] (int32, int32, float32),
      laid out as the module docstring says. A source longer than `encoder_size` keeps its last
      `encoder_size` tokens (reversed), a target longer than `decoder_size - 1` its first ones.
    """
    batch_size = len(pairs)
    encoder_rows = np.zeros((batch_size, encoder_size), dtype=np.int32)
    decoder_rows = np.zeros((batch_size, decoder_size), dtype=np.int32)
    for row, (encoder_input, decoder_input) in enumerate(pairs):
        padded = list(encoder_input) + [PAD_ID] * (encoder_size - len(encoder_input))
        encoder_rows[row] = padded[::-1][:encoder_size]
        decoder_row = [GO_ID] + list(decoder_input)
        decoder_row += [PAD_ID] * (decoder_size - len(decoder_row))
        decoder_rows[row] = decoder_row[:decoder_size]
    # The target at position t is the decoder input at t + 1; the last one is always padding.
    next_inputs = np.concatenate(
        [decoder_rows[:, 1:], np.full((batch_size, 1), PAD_ID, dtype=np.int32)], axis=1)
    weight_rows = (next_inputs != PAD_ID).astype(np.float32)
    return list(encoder_rows.T), list(decoder_rows.T), list(weight_rows.T)
