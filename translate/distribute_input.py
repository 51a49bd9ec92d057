"""The training input as `tf.data`: one shuffled, prefetched dataset per bucket.

Used by distributed training (`translate.distribute`). Each bucket's pairs become a dataset of
per-replica batches laid out exactly as `translate.batching.make_batch` lays them out
(time-major, reversed padded source, GO + target + padding, target weights), built in
background threads and prefetched, so the replicas never wait for Python to pad a batch.

Which bucket a step trains on is still drawn on the host in proportion to the buckets' sizes,
as the original does; every worker of a cluster draws the same sequence (`BucketChooser`), so
all replicas of a step run the same bucket's graph.

Differences from the original's `get_batch`, which draws every pair with replacement: a dataset
goes through its (shuffled) bucket without replacement, epoch after epoch, and each input
pipeline (one per worker) reads its own shard of the bucket.

(`translate.input_pipeline` feeds one device from a single generator mixing the buckets; under
a strategy every replica of a step needs a share of the same bucket and every worker its own
shard, hence one dataset per bucket here.)
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from data_utils import GO_ID, PAD_ID
from translate import batching

# Pairs held in a shuffle buffer per bucket and input pipeline; a bucket smaller than this is
# shuffled completely every epoch.
DEFAULT_SHUFFLE_BUFFER = 100_000


def _ragged(sequences: Sequence[Sequence[int]]) -> tf.RaggedTensor:
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    values = np.fromiter((t for s in sequences for t in s), dtype=np.int32,
                         count=int(lengths.sum()))
    return tf.RaggedTensor.from_row_lengths(values, lengths)


def bucket_dataset(
    pairs: Sequence[batching.Pair],
    bucket: tuple[int, int],
    batch_size: int,
    dtype: tf.DType = tf.float32,
    shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
    seed: int | None = None,
    num_shards: int = 1,
    shard_index: int = 0,
    repeat: bool = True,
) -> tf.data.Dataset:
    """Batches of one bucket's pairs, in the layout `Seq2SeqModel.compute_gradients` takes.

    Args:
      pairs: the bucket's (source ids, target ids) pairs (targets end with EOS_ID), each
        fitting the bucket: len(source) < I and len(target) < O.
      bucket: (I, O), the bucket's encoder and decoder lengths.
      batch_size: pairs per batch (per replica under a strategy); the last, partial batch of
        a finite dataset is dropped.
      dtype: dtype of the target weights (the model's).
      shuffle_buffer: pairs in the shuffle buffer; 0 keeps the order of `pairs`.
      seed: shuffle seed (None: a fresh one).
      num_shards, shard_index: read only pairs shard_index, shard_index + num_shards, ...
        (one shard per input pipeline). A bucket with fewer pairs than shards is not sharded.
      repeat: go through the bucket forever (reshuffled every epoch).

    Returns:
      A dataset of (encoder int32 [I, batch], decoder int32 [O, batch], weights dtype
      [O, batch]).

    Raises:
      ValueError: `pairs` is empty, or a pair does not fit the bucket (names its position).
    """
    encoder_size, decoder_size = bucket
    if not pairs:
        raise ValueError(f"bucket {tuple(bucket)} holds no sentence pair")
    for position, (source, target) in enumerate(pairs):
        if len(source) >= encoder_size or len(target) >= decoder_size:
            raise ValueError(
                f"pair {position} of bucket {tuple(bucket)} does not fit it: source length "
                f"{len(source)} (must be < {encoder_size}), target length {len(target)} "
                f"(must be < {decoder_size})")
    dataset = tf.data.Dataset.from_tensor_slices(
        (_ragged([p[0] for p in pairs]), _ragged([p[1] for p in pairs])))
    if 1 < num_shards <= len(pairs):
        dataset = dataset.shard(num_shards, shard_index)
    if shuffle_buffer:
        dataset = dataset.shuffle(min(shuffle_buffer, len(pairs)), seed=seed,
                                  reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()

    def lay_out(source: tf.Tensor, target: tf.Tensor):
        # Padding goes first in the encoder: the source is padded, then reversed.
        encoder = tf.reverse(
            tf.pad(source, [[0, encoder_size - tf.size(source)]], constant_values=PAD_ID), [0])
        decoder = tf.pad(tf.concat([[GO_ID], target], 0),
                         [[0, decoder_size - 1 - tf.size(target)]], constant_values=PAD_ID)
        # The target at position t is the decoder input at t + 1; the last one is padding.
        next_inputs = tf.concat([decoder[1:], [PAD_ID]], 0)
        weights = tf.cast(tf.not_equal(next_inputs, PAD_ID), dtype)
        return (tf.ensure_shape(encoder, [encoder_size]), tf.ensure_shape(decoder, [decoder_size]),
                tf.ensure_shape(weights, [decoder_size]))

    dataset = dataset.map(lay_out, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    dataset = dataset.map(lambda *batch: tuple(tf.transpose(t) for t in batch))
    return dataset.prefetch(tf.data.AUTOTUNE)


class BucketChooser:
    """Draws bucket ids in proportion to the buckets' sizes, like the original, but from its
    own seeded generator: every worker of a cluster must draw the same bucket at each step.

    Args:
      scale: `translate.batching.bucket_scale` of the training data.
      seed: seed of the generator; equal on every worker.
    """

    def __init__(self, scale: Sequence[float], seed: int):
        self._scale = list(scale)
        self._rng = np.random.RandomState(seed)

    def __call__(self) -> int:
        """The next bucket id."""
        # The first bucket whose cumulative share exceeds the draw, as the original picks.
        return bisect.bisect_right(self._scale, self._rng.random_sample())


class DistributedBuckets:
    """The per-bucket datasets of a training set, distributed with a strategy.

    Each bucket's dataset is built on first use with
    `strategy.distribute_datasets_from_function`: every input pipeline (worker) reads its own
    shard and makes per-replica batches of `global_batch_size / num_replicas` pairs.

    Args:
      strategy: the distribution strategy.
      data_set: per bucket, its pairs (`translate.batching.read_data`).
      buckets: the model's buckets.
      global_batch_size: pairs per step over all replicas (see
        `translate.distribute.check_global_batch`).
      dtype: dtype of the target weights.
      shuffle_buffer: see `bucket_dataset`.
      seed: base shuffle seed (None: fresh seeds).
    """

    def __init__(
        self,
        strategy: tf.distribute.Strategy,
        data_set: Sequence[Sequence[batching.Pair]],
        buckets: Sequence[tuple[int, int]],
        global_batch_size: int,
        dtype: tf.DType = tf.float32,
        shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
        seed: int | None = None,
    ):
        self._strategy = strategy
        self._data_set = data_set
        self._buckets = [tuple(b) for b in buckets]
        self._global_batch_size = global_batch_size
        self._dtype = dtype
        self._shuffle_buffer = shuffle_buffer
        self._seed = seed
        self._iterators: dict[int, tf.distribute.DistributedIterator] = {}

    def next(self, bucket_id: int) -> tuple[tf.distribute.DistributedValues, ...]:
        """The next per-replica batches (encoder, decoder, weights) of bucket `bucket_id`."""
        if bucket_id not in self._iterators:
            self._iterators[bucket_id] = iter(
                self._strategy.distribute_datasets_from_function(
                    lambda context: self._dataset(bucket_id, context)))
        return next(self._iterators[bucket_id])

    def _dataset(self, bucket_id: int, context: tf.distribute.InputContext) -> tf.data.Dataset:
        seed = None
        if self._seed is not None:
            seed = self._seed + 1000 * bucket_id + context.input_pipeline_id
        return bucket_dataset(
            self._data_set[bucket_id], self._buckets[bucket_id],
            context.get_per_replica_batch_size(self._global_batch_size), self._dtype,
            self._shuffle_buffer, seed, context.num_input_pipelines, context.input_pipeline_id)
