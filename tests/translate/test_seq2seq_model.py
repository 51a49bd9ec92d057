"""Seq2SeqModel against checkpoints and numbers of the original model under TF 1.15.

Golden data (tests/translate/golden/tf1_ckpt, see tools/oracle_tf1/translate_make_golden.py):
two checkpoints trained by the original translate.py, the original's 5 largest logits at every
greedy-decoding position of 48 sentences, and two SGD steps of the original from a checkpoint.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest
import tensorflow as tf
from translate_testlib import TF1_CKPT, TF1_CONFIGS, read_flags

import data_utils
from translate import batching, checkpoints
from translate.hparams import BUCKETS, HParams
from translate.seq2seq_model import Seq2SeqModel


def hparams_of(config: str, **overrides) -> HParams:
    values = {}
    for flag in read_flags(os.path.join(TF1_CKPT, config)):
        name, _, value = flag.lstrip("-").partition("=")
        values[name] = int(value) if value else True
    return HParams(**{**values, **overrides})


@functools.cache
def restored(config: str, forward_only: bool, batch_size: int = 64) -> Seq2SeqModel:
    model = Seq2SeqModel.from_hparams(hparams_of(config, batch_size=batch_size), forward_only)
    model.saver.restore(None, checkpoints.latest_checkpoint(os.path.join(TF1_CKPT, config,
                                                                         "train")))
    return model


@pytest.mark.parametrize("config", TF1_CONFIGS)
def test_variables_have_the_original_names_shapes_dtypes(config):
    reader = tf.train.load_checkpoint(
        checkpoints.latest_checkpoint(os.path.join(TF1_CKPT, config, "train")))
    model = Seq2SeqModel.from_hparams(hparams_of(config), forward_only=False)
    ours = {name: (v.shape.as_list(), v.dtype.base_dtype)
            for name, v in model.variables_by_name.items()}
    theirs = {name: (list(shape), reader.get_variable_to_dtype_map()[name])
              for name, shape in reader.get_variable_to_shape_map().items()}
    assert ours == theirs
    assert ("proj_w" in ours) == model.use_sampled_softmax
    # Only the learning rate and the global step are not trained, as in the original.
    assert {name for name, v in model.variables_by_name.items() if not v.trainable} == {
        "Variable", "Variable_1"}


def decode_batches(config: str):
    """(line index, bucket id, encoder, decoder) of every golden decode input line."""
    source_vocab, _ = data_utils.initialize_vocabulary(
        os.path.join(TF1_CKPT, config, "data",
                     f"vocab{hparams_of(config).from_vocab_size}.from"))
    with open(os.path.join(TF1_CKPT, config, "decode_input.txt"), "rb") as f:
        lines = f.read().split(b"\n")
    for i, line in enumerate(lines):
        token_ids = data_utils.sentence_to_token_ids(line, source_vocab)
        bucket_id, _ = batching.bucket_for_sentence(len(token_ids), BUCKETS)
        encoder, decoder, weights = batching.get_batch(
            {bucket_id: [(token_ids, [])]}, bucket_id, BUCKETS, 1)
        yield i, bucket_id, encoder, decoder, weights


@pytest.mark.parametrize("config", TF1_CONFIGS)
def test_greedy_logits_match_the_original(config):
    golden = np.load(os.path.join(TF1_CKPT, config, "decode_top_logits.npz"))
    model = restored(config, forward_only=True)
    buckets_seen = set()
    for i, bucket_id, encoder, decoder, _ in decode_batches(config):
        logits = np.concatenate(model.greedy_logits(encoder, decoder, bucket_id), axis=0)
        ids, values = golden[f"ids_{i}"], golden[f"values_{i}"]
        assert logits.shape == (BUCKETS[bucket_id][1], model.target_vocab_size)
        np.testing.assert_array_equal(logits.argmax(axis=1), ids[:, 0], err_msg=f"line {i}")
        # float32 through up to 90 unrolled steps: differences are ~1e-5 of logits ~10.
        np.testing.assert_allclose(np.take_along_axis(logits, ids, axis=1), values,
                                   rtol=0, atol=1e-4, err_msg=f"line {i}")
        buckets_seen.add(bucket_id)
    assert buckets_seen == {0, 1, 2, 3}


def test_forward_step_returns_the_same_logits_and_a_zero_loss():
    # step(..., forward_only=True) is what the original's decode() called.
    config = "gru2_sampled"
    golden = np.load(os.path.join(TF1_CKPT, config, "decode_top_logits.npz"))
    model = restored(config, forward_only=True, batch_size=1)
    for i, bucket_id, encoder, decoder, weights in list(decode_batches(config))[:3]:
        norm, loss, outputs = model.step(None, encoder, decoder, weights, bucket_id, True)
        logits = np.concatenate(outputs, axis=0)
        assert norm is None
        assert loss == 0.0  # all target weights are 0 when decoding
        np.testing.assert_allclose(np.take_along_axis(logits, golden[f"ids_{i}"], axis=1),
                                   golden[f"values_{i}"], rtol=0, atol=1e-4)


def test_training_steps_match_the_original():
    config = "lstm1_full"  # full softmax: the loss is deterministic
    golden = np.load(os.path.join(TF1_CKPT, config, "train_steps.npz"))
    model = Seq2SeqModel.from_hparams(hparams_of(config, batch_size=8), forward_only=False)
    model.saver.restore(None, checkpoints.latest_checkpoint(os.path.join(TF1_CKPT, config,
                                                                         "train")))
    before = {n: v.numpy().astype(np.float64) for n, v in model.variables_by_name.items()}
    for k in range(2):
        norm, loss, outputs = model.step(
            None, list(golden[f"encoder_{k}"]), list(golden[f"decoder_{k}"]),
            list(golden[f"weights_{k}"]), int(golden[f"bucket_{k}"]), False)
        assert outputs is None
        np.testing.assert_allclose(norm, golden[f"norm_{k}"], rtol=1e-5)
        np.testing.assert_allclose(loss, golden[f"loss_{k}"], rtol=1e-5)
    # Both norms exceed max_gradient_norm=5: the updates below went through clipping.
    assert golden["norm_0"] > 5 and golden["norm_1"] > 5
    assert int(model.global_step.numpy()) == int(golden["global_step"])
    assert model.learning_rate.numpy() == golden["learning_rate"]
    for name, delta_norm, delta_sum in zip(golden["names"], golden["delta_norm"],
                                           golden["delta_sum"]):
        delta = model.variables_by_name[name].numpy().astype(np.float64) - before[name]
        np.testing.assert_allclose(np.sqrt(np.sum(delta * delta)), delta_norm, rtol=1e-4,
                                   err_msg=name)
        np.testing.assert_allclose(np.sum(delta), delta_sum, rtol=1e-4, atol=1e-5,
                                   err_msg=name)


def tiny_model(**kwargs) -> Seq2SeqModel:
    args = dict(source_vocab_size=12, target_vocab_size=12, buckets=[(3, 4), (5, 6)], size=8,
                num_layers=2, max_gradient_norm=5.0, batch_size=4, learning_rate=0.5,
                learning_rate_decay_factor=0.5)
    return Seq2SeqModel(**{**args, **kwargs})


TINY_DATA = [[([4, 5], [6, 2])], [([4, 5, 6, 7], [8, 9, 10, 2])]]


def test_step_checks_lengths_like_the_original():
    model = tiny_model()
    enc, dec, weights = model.get_batch(TINY_DATA, 0)
    with pytest.raises(ValueError, match=r"Encoder length must be equal to the one in bucket, "
                                         r"2 != 3\."):
        model.step(None, enc[:2], dec, weights, 0, False)
    with pytest.raises(ValueError, match=r"Decoder length .* 3 != 4\."):
        model.step(None, enc, dec[:3], weights, 0, False)
    with pytest.raises(ValueError, match=r"Weights length .* 5 != 4\."):
        model.step(None, enc, dec, weights + weights[:1], 0, False)


def test_forward_only_model_refuses_to_train():
    model = tiny_model(forward_only=True)
    enc, dec, weights = model.get_batch(TINY_DATA, 0)
    with pytest.raises(ValueError, match="forward_only=True"):
        model.step(None, enc, dec, weights, 0, False)


@pytest.mark.slow
def test_training_lowers_the_loss_and_counts_steps():
    tf.random.set_seed(0)
    model = tiny_model()
    losses = []
    for step in range(30):
        bucket_id = step % 2
        enc, dec, weights = model.get_batch(TINY_DATA, bucket_id)
        norm, loss, _ = model.step(None, enc, dec, weights, bucket_id, False)
        losses.append(loss)
        assert np.isfinite(norm)
    assert int(model.global_step.numpy()) == 30
    assert np.mean(losses[-4:]) < 0.6 * np.mean(losses[:4])


def test_decay_learning_rate():
    model = tiny_model()
    model.decay_learning_rate()
    model.decay_learning_rate()
    assert model.learning_rate.numpy() == pytest.approx(0.125)


def test_sampled_softmax_only_below_the_vocabulary_size():
    assert "proj_w" in tiny_model(num_samples=8).variables_by_name
    assert "proj_w" not in tiny_model(num_samples=12).variables_by_name
    assert "proj_w" not in tiny_model(num_samples=0).variables_by_name


@pytest.mark.slow
def test_fp16_model_trains():
    model = tiny_model(dtype=tf.float16, num_samples=8)
    assert {v.dtype for n, v in model.variables_by_name.items() if n != "Variable_1"} == {
        tf.float16}
    enc, dec, weights = model.get_batch(TINY_DATA, 1)
    norm, loss, _ = model.step(None, enc, dec, weights, 1, False)
    assert loss.dtype == np.float16 and np.isfinite(loss) and np.isfinite(norm)


def test_compute_and_apply_gradients_are_separate():
    # compute_gradients must not change any variable (a distribution strategy runs it per
    # replica and applies once).
    model = tiny_model(num_samples=8)
    enc, dec, weights = model.get_batch(TINY_DATA, 0)
    before = [v.numpy().copy() for v in model.variables_by_name.values()]
    loss, gradients = model.compute_gradients(0, np.array(enc), np.array(dec), np.array(weights))
    assert len(gradients) == len(model.params)
    assert any(isinstance(g, tf.IndexedSlices) for g in gradients)  # embeddings
    for v, old in zip(model.variables_by_name.values(), before):
        np.testing.assert_array_equal(v.numpy(), old)
    model.apply_gradients(gradients)
    assert int(model.global_step.numpy()) == 1
