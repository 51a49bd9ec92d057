"""Data reading, bucket choice and batch layout equal the original translate.py's.

The golden file was written by the original code under TF 1.15
(tools/oracle_tf1/translate_dump_batches.py) from the same token-id files.
"""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
from translate_testlib import GOLDEN

from data_utils import EOS_ID, GO_ID, PAD_ID
from translate import batching
from translate.hparams import BUCKETS

BATCHES = os.path.join(GOLDEN, "tf1_batches")
MAX_SIZES = (0, 1, 37, 150)


@pytest.fixture(scope="module")
def golden():
    return dict(np.load(os.path.join(BATCHES, "batches.npz")))


@pytest.fixture(scope="module")
def data_set():
    return batching.read_data(os.path.join(BATCHES, "source.ids"),
                              os.path.join(BATCHES, "target.ids"), BUCKETS)


def test_read_data_buckets_pairs_as_original(golden, data_set):
    for b, pairs in enumerate(data_set):
        expected = [golden[f"bucket_{b}_{i}"].tolist() for i in range(len(pairs))]
        ours = [[len(source)] + source + target for source, target in pairs]
        assert ours == expected
        assert f"bucket_{b}_{len(pairs)}" not in golden
        # The original appends EOS to every target.
        assert all(target[-1] == EOS_ID for _, target in pairs)


@pytest.mark.parametrize("index,max_size", list(enumerate(MAX_SIZES)))
def test_read_data_max_size(golden, index, max_size):
    data = batching.read_data(os.path.join(BATCHES, "source.ids"),
                              os.path.join(BATCHES, "target.ids"), BUCKETS, max_size)
    assert [len(b) for b in data] == golden["bucket_sizes"][index].tolist()


def test_bucket_scale_and_choice_as_original(golden, data_set):
    scale = batching.bucket_scale(data_set)
    np.testing.assert_array_equal(scale, golden["scale"])
    np.random.seed(7)
    assert [batching.choose_bucket(scale) for _ in range(50)] == golden["chosen"].tolist()


@pytest.mark.parametrize("bucket_id", range(len(BUCKETS)))
def test_get_batch_as_original(golden, data_set, bucket_id):
    random.seed(bucket_id)
    enc, dec, weights = batching.get_batch(data_set, bucket_id, BUCKETS, 16)
    np.testing.assert_array_equal(np.array(enc), golden[f"enc_{bucket_id}"])
    np.testing.assert_array_equal(np.array(dec), golden[f"dec_{bucket_id}"])
    np.testing.assert_array_equal(np.array(weights), golden[f"w_{bucket_id}"])
    assert enc[0].dtype == np.int32 and dec[0].dtype == np.int32
    assert weights[0].dtype == np.float32


def test_get_batch_of_too_long_sentence_as_original(golden):
    enc, dec, weights = batching.get_batch({3: [(list(range(4, 49)), [])]}, 3, BUCKETS, 1)
    np.testing.assert_array_equal(np.array(enc), golden["trunc_enc"])
    np.testing.assert_array_equal(np.array(dec), golden["trunc_dec"])
    np.testing.assert_array_equal(np.array(weights), golden["trunc_w"])
    # What that means: the last 40 tokens, reversed; decoding starts from GO.
    assert np.array(enc)[:, 0].tolist() == list(range(48, 8, -1))
    assert np.array(dec)[:, 0].tolist() == [GO_ID] + [PAD_ID] * 49


def test_get_batch_layout_by_hand():
    random.seed(0)
    enc, dec, weights = batching.get_batch([[([5, 6], [7, EOS_ID])]], 0, [(4, 5)], 2)
    assert np.array(enc).T.tolist() == [[PAD_ID, PAD_ID, 6, 5]] * 2
    assert np.array(dec).T.tolist() == [[GO_ID, 7, EOS_ID, PAD_ID, PAD_ID]] * 2
    assert np.array(weights).T.tolist() == [[1, 1, 0, 0, 0]] * 2


def test_bucket_for_sentence():
    assert batching.bucket_for_sentence(0, BUCKETS) == (0, False)
    assert batching.bucket_for_sentence(5, BUCKETS) == (0, False)
    assert batching.bucket_for_sentence(6, BUCKETS) == (1, False)
    assert batching.bucket_for_sentence(40, BUCKETS) == (3, False)
    assert batching.bucket_for_sentence(41, BUCKETS) == (3, True)


def test_bad_token_ids_name_file_and_line(tmp_path):
    source, target = tmp_path / "s.ids", tmp_path / "t.ids"
    source.write_text("4 5\n6 x 7\n")
    target.write_text("4\n5\n")
    with pytest.raises(ValueError, match=r"s\.ids, line 2: expected token ids.*'6 x 7'"):
        batching.read_data(str(source), str(target), BUCKETS)


def test_missing_token_id_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.ids"):
        batching.read_data(str(tmp_path / "nope.ids"), str(tmp_path / "nope.ids"), BUCKETS)


def test_empty_training_data_is_a_clear_error():
    with pytest.raises(ValueError, match="no sentence pair fits any bucket"):
        batching.bucket_scale([[], [], [], []])


def test_get_batch_from_empty_bucket_names_it():
    with pytest.raises(ValueError, match=r"bucket 1 \(10, 15\) holds no sentence pair"):
        batching.get_batch([[([4], [5])], []], 1, BUCKETS, 2)


def test_token_batch_sizes_fill_each_bucket_with_about_the_same_tokens():
    buckets = [(5, 10), (10, 15), (20, 25), (40, 50)]
    assert batching.token_batch_sizes(1000, buckets) == [100, 66, 40, 20]
    # Never an empty batch, even when one sentence is longer than the budget.
    assert batching.token_batch_sizes(30, buckets) == [3, 2, 1, 1]
    with pytest.raises(ValueError, match="batch_tokens must be at least 1"):
        batching.token_batch_sizes(0, buckets)


def _pairs(rng: np.random.Generator, count: int, max_target: int) -> list:
    return [(list(rng.integers(4, 30, rng.integers(1, 4))),
             list(rng.integers(4, 40, rng.integers(1, max_target))) + [EOS_ID])
            for _ in range(count)]


def test_length_sorted_batches_are_neighbours_in_length_trimmed_to_the_longest():
    rng = np.random.default_rng(0)
    data = [_pairs(rng, 200, 9), _pairs(rng, 5, 9)]
    buckets = [(4, 12), (4, 12)]
    np.random.seed(0)  # the random order of ties
    batches = batching.LengthSortedBatches(data)
    random.seed(1)
    lengths = sorted(len(target) for _, target in data[0])
    drawn = set()
    for _ in range(300):
        encoder, decoder, weights = batches.get_batch(0, buckets, 16)
        assert len(encoder) == 4 and all(len(row) == 16 for row in encoder + decoder + weights)
        targets = np.asarray(weights).sum(axis=0).astype(int)  # = len(target incl. EOS)
        assert len(decoder) == targets.max() + 1  # GO, then the longest target
        # The lengths of a window of the bucket's pairs sorted by length.
        assert any(sorted(targets) == lengths[start:start + 16]
                   for start in range(len(lengths) - 15))
        rows = np.asarray(decoder).T
        assert (rows[:, 0] == GO_ID).all()
        drawn.update(tuple(row) for row in rows)
    # Every pair of the bucket is drawn sooner or later (ties are ordered at random).
    assert len(drawn) >= 190
    # A bucket smaller than the batch fills it with random draws of its pairs.
    encoder, decoder, weights = batches.get_batch(1, buckets, 16)
    assert len(encoder[0]) == 16
    with pytest.raises(ValueError, match=r"bucket 0 \(4, 12\) holds no sentence pair"):
        batching.LengthSortedBatches([[]]).get_batch(0, buckets, 4)


def test_trimmed_batch_has_the_loss_of_the_untrimmed_one():
    from translate.hparams import HParams
    from translate.models import build_model

    model = build_model(HParams(size=16, num_layers=1, from_vocab_size=30, to_vocab_size=40,
                                batch_size=8, buckets=((4, 12),), num_samples=0,
                                output_projection=True, label_smoothing=0.1,
                                bidirectional_encoder=True), False)
    pairs = _pairs(np.random.default_rng(2), 8, 5)
    longest = max(len(target) for _, target in pairs)
    # The decoder length LengthSortedBatches gives these pairs, and the bucket's.
    trimmed = batching.make_batch(pairs, 4, longest + 1)
    full = batching.make_batch(pairs, 4, 12)
    assert len(trimmed[1]) < len(full[1]) == 12

    def loss(batch):
        encoder, decoder, weights = (np.asarray(x) for x in batch)
        return float(model._template(encoder, decoder, weights.astype(np.float32),
                                     feed_previous=False)[1])

    np.testing.assert_allclose(loss(trimmed), loss(full), rtol=1e-6)
