"""The input as `tf.data`: the batch layout in TensorFlow ops, and one dataset per bucket.

`lay_out` is the one TensorFlow implementation of the batch layout of `translate.batching`
(time-major, the source padded then reversed so that the padding comes first, GO + target +
padding, target weights); the SavedModel of `translate.infer.export` lays out its encoder
input with it too. `translate.batching` keeps the original's numpy implementation for the original's
`get_batch`.

For training under a distribution strategy (`translate.train`), each bucket's pairs become a
dataset of per-replica batches (`bucket_dataset`, `DistributedBuckets`), built in background
threads and prefetched, so the replicas never wait for Python to pad a batch. Which bucket a
step trains on is still drawn on the host in proportion to the buckets' sizes, as the original
does; every worker of a cluster draws the same sequence (`BucketChooser`), so all replicas of a
step run the same bucket.

Differences from the original's `get_batch`, which draws every pair with replacement: a dataset
goes through its (shuffled) bucket without replacement, epoch after epoch, and each input
pipeline (one per worker) reads its own shard of the bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

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


class Batch(NamedTuple):
    """A time-major batch (see `translate.batching`); decoder and weights are None for a
    batch of sources only."""

    encoder: tf.Tensor
    decoder: tf.Tensor | None
    weights: tf.Tensor | None


def lay_out(sources: tf.RaggedTensor | tf.Tensor, bucket: Sequence[int | tf.Tensor],
            targets: tf.RaggedTensor | None = None, dtype: tf.DType = tf.float32) -> Batch:
    """Lays out token ids as the time-major batch the model reads, in TensorFlow ops.

    The same layout as `translate.batching.make_batch`: a source longer than the bucket keeps
    its last tokens, a target longer than the bucket its first ones.

    Args:
      sources: int32 ragged [batch, (tokens)]; or, for sources of one length (e.g. one
        sentence), int32 [batch, tokens], whose layout needs only ops that TFLite has.
      bucket: (I, O), the bucket's encoder and decoder lengths; with dense sources and no
        targets, I may be a scalar tensor (a bucket chosen in the graph).
      targets: int32 ragged [batch, (tokens)] (ending with EOS_ID), or None.
      dtype: dtype of the target weights.

    Returns:
      `Batch` of encoder int32 [I, batch] and, with targets, decoder int32 [O, batch] and
      weights [O, batch] of `dtype`.
    """
    encoder_size, decoder_size = bucket
    # Padding goes first in the encoder: the source is padded, then reversed.
    if isinstance(sources, tf.RaggedTensor):
        padded = sources[:, -encoder_size:].to_tensor(default_value=PAD_ID,
                                                      shape=[None, encoder_size])
    else:
        kept = sources[:, tf.maximum(tf.shape(sources)[1] - encoder_size, 0):]
        padded = tf.pad(kept, [[0, 0], [0, encoder_size - tf.shape(kept)[1]]],
                        constant_values=PAD_ID)
    encoder = tf.transpose(tf.reverse(padded, axis=[1]))
    if targets is None:
        return Batch(encoder, None, None)
    go = tf.fill([targets.nrows(), 1], tf.constant(GO_ID, targets.dtype))
    decoder = tf.concat([go, targets], axis=1).to_tensor(default_value=PAD_ID,
                                                         shape=[None, decoder_size])
    # The target at position t is the decoder input at t + 1; the last one is padding.
    next_inputs = tf.pad(decoder[:, 1:], [[0, 0], [0, 1]], constant_values=PAD_ID)
    weights = tf.cast(tf.not_equal(next_inputs, PAD_ID), dtype)
    return Batch(encoder, tf.transpose(decoder), tf.transpose(weights))


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
    dataset = dataset.ragged_batch(batch_size, drop_remainder=True)
    dataset = dataset.map(lambda source, target: tuple(lay_out(source, bucket, target, dtype)),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
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
        return batching.choose_bucket(self._scale, self._rng)


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
        `translate.train.distribute.check_global_batch`).
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
