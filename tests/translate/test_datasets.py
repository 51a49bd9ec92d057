"""The tf.data input (the layout helper, per-bucket datasets) and the trainer under the default
strategy."""

from __future__ import annotations

import random

import numpy as np
import pytest
import tensorflow as tf

from translate import batching, datasets
from translate.seq2seq_model import Seq2SeqModel
from translate.train.trainer import StrategyTrainer

BUCKETS = [(3, 4), (6, 8)]


def random_pairs(bucket: tuple[int, int], count: int, seed: int) -> list[batching.Pair]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        # Sources may be empty (a blank line); targets always end with EOS_ID (2).
        source = [rng.randrange(4, 50) for _ in range(rng.randrange(0, bucket[0]))]
        target = [rng.randrange(4, 50) for _ in range(rng.randrange(0, bucket[1] - 1))]
        pairs.append((source, target + [2]))
    return pairs


@pytest.mark.parametrize("bucket", BUCKETS + [(40, 50)])
def test_batches_are_laid_out_like_make_batch(bucket):
    pairs = random_pairs(bucket, 24, seed=bucket[0])
    dataset = datasets.bucket_dataset(pairs, bucket, 8, shuffle_buffer=0, repeat=False)
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == 3
    for index, (encoder, decoder, weights) in enumerate(batches):
        expected = batching.make_batch(pairs[8 * index:8 * index + 8], *bucket)
        np.testing.assert_array_equal(encoder, np.asarray(expected[0]))
        np.testing.assert_array_equal(decoder, np.asarray(expected[1]))
        np.testing.assert_array_equal(weights, np.asarray(expected[2]))
        assert encoder.dtype == np.int32 and weights.dtype == np.float32


def test_sources_alone_and_too_long_are_laid_out_like_make_batch():
    sources = [[4, 5, 6, 7, 8, 9], [10], []]
    encoder, decoder, weights = datasets.lay_out(tf.ragged.constant(sources, tf.int32), (3, 4))
    assert decoder is None and weights is None
    expected = batching.make_batch([(s, [2]) for s in sources], 3, 4)[0]
    np.testing.assert_array_equal(encoder.numpy(), np.asarray(expected))


def test_shards_split_a_bucket_and_shuffling_keeps_every_pair():
    # Pair i is (source [i % 40 + 4], target [i // 40 + 4, EOS]): unique, and readable back
    # from the batches (the source token ends the reversed encoder row, the target token
    # follows GO).
    pairs = [([i % 40 + 4], [i // 40 + 4, 2]) for i in range(60)]
    shards = []
    for shard in range(2):
        dataset = datasets.bucket_dataset(pairs, (3, 4), 6, seed=shard, num_shards=2,
                                                  shard_index=shard, repeat=False)
        read = [(int(s), int(t)) for encoder, decoder, _ in dataset.as_numpy_iterator()
                for s, t in zip(encoder[-1], decoder[1])]
        assert len(read) == len(set(read)) == 30
        shards.append(set(read))
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == {(p[0][0], p[1][0]) for p in pairs}


def test_bad_bucket_data_is_named():
    with pytest.raises(ValueError, match=r"pair 1 of bucket \(3, 4\) does not fit it: source "
                                         r"length 3 \(must be < 3\)"):
        datasets.bucket_dataset([([4], [5, 2]), ([4, 5, 6], [2])], (3, 4), 2)
    with pytest.raises(ValueError, match=r"bucket \(3, 4\) holds no sentence pair"):
        datasets.bucket_dataset([], (3, 4), 2)


def test_bucket_chooser_draws_like_the_original():
    scale = batching.bucket_scale([[([1], [2])] * n for n in (5, 0, 30, 65)])
    np.random.seed(11)
    original = [batching.choose_bucket(scale) for _ in range(500)]
    chooser = datasets.BucketChooser(scale, seed=11)
    assert [chooser() for _ in range(500)] == original
    assert 1 not in original


def same_models(**kwargs) -> tuple[Seq2SeqModel, Seq2SeqModel]:
    first = Seq2SeqModel(50, 50, BUCKETS, 16, 1, 0.1, 4, 0.5, 0.99, **kwargs)
    second = Seq2SeqModel(50, 50, BUCKETS, 16, 1, 0.1, 4, 0.5, 0.99, **kwargs)
    for name, variable in second.variables_by_name.items():
        variable.assign(first.variables_by_name[name].read_value())
    return first, second


@pytest.mark.slow
def test_trainer_under_the_default_strategy_equals_model_step():
    trained, reference = same_models()
    trainer = StrategyTrainer(tf.distribute.get_strategy(), trained, 4)
    data = [random_pairs(bucket, 10, seed=i) for i, bucket in enumerate(BUCKETS)]
    for bucket_id in (0, 1, 1):
        batch = batching.get_batch(data, bucket_id, BUCKETS, 4)
        result = trainer.step(*batch, bucket_id)
        norm, loss, _ = reference.step(None, *batch, bucket_id, False)
        assert result.loss == pytest.approx(float(loss), abs=1e-6)
        assert result.gradient_norm == pytest.approx(float(norm), abs=1e-6)
        weights = np.asarray(batch[2])
        assert result.tokens == int(np.count_nonzero(batch[0])) + int(weights.sum())
    for name, variable in trained.variables_by_name.items():
        np.testing.assert_allclose(variable.numpy(), reference.variables_by_name[name].numpy(),
                                   atol=1e-6, err_msg=name)
    assert int(trained.global_step.numpy()) == 3


@pytest.mark.slow
def test_training_feed_steps_through_the_buckets():
    model, _ = same_models()
    data = [random_pairs(bucket, 10, seed=i) for i, bucket in enumerate(BUCKETS)]
    strategy = tf.distribute.get_strategy()
    trainer = StrategyTrainer(strategy, model, 4)
    choose = datasets.BucketChooser(batching.bucket_scale(data), seed=0)
    feed = datasets.DistributedBuckets(strategy, data, BUCKETS, 4, seed=0)
    results = []
    for _ in range(4):
        bucket_id = choose()
        results.append(trainer.train_step(bucket_id, *feed.next(bucket_id)))
    assert all(np.isfinite(r.loss) and r.tokens > 0 for r in results)
    assert int(model.global_step.numpy()) == 4


def test_trainer_rejects_a_batch_of_another_size():
    model, _ = same_models()
    trainer = StrategyTrainer(tf.distribute.get_strategy(), model, 4)
    batch = batching.get_batch([random_pairs(BUCKETS[0], 3, seed=1)], 0, BUCKETS, 5)
    with pytest.raises(ValueError, match="the batch has 5 pairs, the trainer was built for 4"):
        trainer.step(*batch, 0)


@pytest.mark.parametrize("sentence", [[], [7], [4, 5, 6], list(range(4, 12))])
@pytest.mark.parametrize("bucket", [(3, 4), (5, 6)])
def test_dense_layout_with_a_bucket_chosen_in_the_graph_equals_the_ragged_one(sentence, bucket):
    # Export lays out one sentence with the bucket's length as a tensor (TFLite has no
    # ragged ops); it must be the ragged layout, padding, reversal and truncation included.
    ragged = datasets.lay_out(tf.ragged.constant([sentence], tf.int32, row_splits_dtype=tf.int64)
                              if sentence else tf.RaggedTensor.from_row_lengths(
                                  tf.zeros([0], tf.int32), [0]), bucket).encoder
    dense = tf.function(lambda ids, size: datasets.lay_out(ids, (size, None)).encoder)(
        tf.constant([sentence], tf.int32, shape=[1, len(sentence)]), tf.constant(bucket[0]))
    assert dense.numpy().tolist() == ragged.numpy().tolist()
