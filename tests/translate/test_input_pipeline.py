"""The tf.data training batches: the original's layout, seeded draws, buckets by size."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import tensorflow as tf

from translate import batching, input_pipeline

BUCKETS = [(3, 4), (5, 6)]
DATA = [[([4, 5], [6, 2]), ([7], [8, 9, 2])],
        [([4, 5, 6, 7], [8, 9, 10, 2])] * 3]


def test_batches_are_laid_out_as_get_batch_lays_them_out():
    batches = input_pipeline.training_batches(DATA, BUCKETS, 5, seed=3, bucket_ids=[0, 1])
    for expected_bucket, (bucket_id, encoder, decoder, weights) in zip(
            [0, 1, 0, 1], batches.take(4)):
        assert int(bucket_id) == expected_bucket
        assert encoder.shape == (BUCKETS[expected_bucket][0], 5)
        assert weights.dtype == tf.float32
        # Every column is one of the bucket's pairs, laid out by make_batch.
        layouts = [tuple(np.concatenate([np.ravel(part) for part in batching.make_batch(
            [pair], *BUCKETS[expected_bucket])])) for pair in DATA[expected_bucket]]
        for column in range(5):
            got = np.concatenate([encoder[:, column], decoder[:, column],
                                  weights[:, column]])
            assert tuple(got) in layouts


def test_same_seed_same_batches_and_buckets_drawn_by_size():
    def draw(seed):
        batches = input_pipeline.training_batches(DATA, BUCKETS, 2, seed=seed,
                                                  weights_dtype=tf.float16)
        return [(int(b), e.numpy().tolist()) for b, e, _, w in batches.take(200)]

    first, again, other = draw(7), draw(7), draw(8)
    assert first == again and first != other
    counts = collections.Counter(bucket for bucket, _ in first)
    # Bucket 1 holds 3 of the 5 pairs: drawn about 60% of the time.
    assert 0.45 < counts[1] / 200 < 0.75


def test_empty_data_is_refused():
    with pytest.raises(ValueError, match="no sentence pair fits any bucket"):
        input_pipeline.training_batches([[], []], BUCKETS, 2)
