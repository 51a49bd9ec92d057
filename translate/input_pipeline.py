"""Training batches from a `tf.data` pipeline that prepares them while the model computes.

The original draws a bucket (`choose_bucket`) and lays out a batch (`get_batch`) in Python
between two training steps, so the model waits for the input. `training_batches` does the
same work in a `tf.data` pipeline whose `prefetch` keeps the next batches ready: feeding
overlaps compute.

    batches = input_pipeline.training_batches(train_set, model.buckets, model.batch_size,
                                              seed=0)
    for bucket_id, encoder, decoder, weights in batches.take(1000):
        model.step(None, encoder, decoder, weights, int(bucket_id), False)

The pipeline draws with its own random generators (seeded), not the global ones the
original's `get_batch` and `choose_bucket` use: batches are prepared on another thread,
ahead of time, and global draws would interleave differently with the training loop's own
(e.g. the evaluation batches). The draws follow the same distributions: buckets in
proportion to their sizes, pairs uniformly within the bucket.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf

from translate import batching


def training_batches(
    data_set: Sequence[Sequence[batching.Pair]],
    buckets: Sequence[tuple[int, int]],
    batch_size: int,
    seed: int | None = None,
    weights_dtype: tf.DType = tf.float32,
    prefetch: int = 2,
    bucket_ids: Sequence[int] | None = None,
) -> tf.data.Dataset:
    """An endless dataset of training batches, `prefetch` of them prepared in advance.

    Args:
      data_set: per bucket, its (source ids, target ids) pairs (`batching.read_data`).
      buckets: (encoder length, decoder length) pairs.
      batch_size: pairs per batch.
      seed: seed of the pipeline's random generators (None: unseeded).
      weights_dtype: dtype of the target weights (the model's dtype).
      prefetch: batches prepared ahead.
      bucket_ids: visit these buckets in turn, forever, instead of drawing them by size
        (benchmarks).

    Returns:
      A dataset of `(bucket_id, encoder [encoder_size, batch], decoder [decoder_size,
      batch], weights [decoder_size, batch])`, laid out as `get_batch` lays them out.

    Raises:
      ValueError: no bucket holds a pair (from `batching.bucket_scale`).
    """
    scale = batching.bucket_scale(data_set)
    pair_rng = random.Random(seed)
    bucket_rng = np.random.RandomState(seed)

    def bucket_sequence() -> Iterator[int]:
        while True:
            if bucket_ids is not None:
                yield from bucket_ids
            else:
                yield batching.choose_bucket(scale, bucket_rng)

    def generate() -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        for bucket_id in bucket_sequence():
            pairs = [pair_rng.choice(data_set[bucket_id]) for _ in range(batch_size)]
            encoder, decoder, weights = batching.make_batch(pairs, *buckets[bucket_id])
            yield (bucket_id, np.asarray(encoder), np.asarray(decoder),
                   np.asarray(weights, dtype=weights_dtype.as_numpy_dtype))

    signature = (tf.TensorSpec([], tf.int32), tf.TensorSpec([None, None], tf.int32),
                 tf.TensorSpec([None, None], tf.int32),
                 tf.TensorSpec([None, None], weights_dtype))
    return tf.data.Dataset.from_generator(generate, output_signature=signature).prefetch(
        prefetch)
