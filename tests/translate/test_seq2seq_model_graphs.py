"""One compiled graph per mode for every bucket, the early-stopping search, bfloat16.

The numbers themselves are tied to TF 1.15 by test_seq2seq_model.py (golden logits and
training steps); these tests check what the speed work added.
"""

from __future__ import annotations

import collections
import random

import numpy as np
import pytest
import tensorflow as tf

from data_utils import EOS_ID
from translate import seq2seq_model
from translate.hparams import HParams
from translate.seq2seq_model import Seq2SeqModel

BUCKETS = [(3, 4), (5, 6), (7, 9)]
DATA = [[([4, 5], [6, 7, 2]), ([8], [9, 2])],
        [([4, 5, 6, 7], [8, 9, 10, 2]), ([5, 5, 5], [6, 2])],
        [([4, 5, 6, 7, 8, 9], [10, 11, 4, 5, 6, 2])]]


def model(**kwargs) -> Seq2SeqModel:
    args = dict(source_vocab_size=13, target_vocab_size=13, buckets=BUCKETS, size=8,
                num_layers=2, max_gradient_norm=5.0, batch_size=4, learning_rate=0.5,
                learning_rate_decay_factor=0.5, num_samples=6)
    return Seq2SeqModel(**{**args, **kwargs})


@pytest.mark.slow
def test_every_bucket_runs_through_one_trace_per_mode():
    tf.random.set_seed(0)
    trained = model()
    for step in range(9):  # every bucket three times
        bucket_id = step % len(BUCKETS)
        trained.step(None, *trained.get_batch(DATA, bucket_id), bucket_id, False)
        trained.step(None, *trained.get_batch(DATA, bucket_id), bucket_id, True)
        encoder, decoder, _ = trained.get_batch(DATA, bucket_id)
        trained.greedy_logits(encoder, decoder, bucket_id)
        trained.greedy_search(encoder, bucket_id)
        trained.search(encoder, bucket_id, beam_size=3)
        trained.alignment(encoder, decoder)
    # XLA compiles greedy search once per input shape: one per bucket at a fixed batch.
    assert trained.tracing_counts() == {"train": 1, "forward": 1, "greedy_logits": 1,
                                        "greedy_search": len(BUCKETS), "beam_search": 1,
                                        "alignment": 1}
    assert int(trained.global_step.numpy()) == 9


@pytest.mark.slow
def test_greedy_search_without_xla_is_one_trace_for_every_bucket():
    tf.random.set_seed(0)
    decoder_model = model(forward_only=True, xla_decode=False)
    xla_model = model(forward_only=True)
    for name, variable in xla_model.variables_by_name.items():
        variable.assign(decoder_model.variables_by_name[name])
    for step in range(6):
        bucket_id = step % len(BUCKETS)
        encoder, _, _ = decoder_model.get_batch(DATA, bucket_id)
        assert (decoder_model.greedy_search(encoder, bucket_id)
                == xla_model.greedy_search(encoder, bucket_id))
    assert decoder_model.tracing_counts()["greedy_search"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("sampled, eos_bonus", [(True, 0.8), (False, 0.2)],
                         ids=["sampled_softmax", "full_softmax"])
def test_greedy_search_is_the_argmax_of_greedy_logits_cut_at_eos(sampled: bool,
                                                                  eos_bonus: float):
    tf.random.set_seed(1)
    decoder_model = model(forward_only=True, num_samples=6 if sampled else 0, batch_size=16)
    # A larger EOS bias makes some sentences end early, so that the loop stops before the
    # bucket's length for some rows and not for others.
    bias = decoder_model.variables_by_name[
        "proj_b" if sampled else
        "embedding_attention_seq2seq/embedding_attention_decoder/attention_decoder/"
        "AttnOutputProjection/bias"]
    bias.assign(tf.tensor_scatter_nd_add(bias, [[EOS_ID]], [eos_bonus]))
    rng = np.random.default_rng(0)
    lengths_seen = set()
    for bucket_id, (encoder_size, _) in enumerate(BUCKETS):
        pairs = [(rng.integers(4, 13, rng.integers(1, encoder_size)).tolist(), [])
                 for _ in range(16)]
        encoder, decoder, _ = decoder_model.get_batch({bucket_id: pairs}, bucket_id)
        logits = np.stack(decoder_model.greedy_logits(encoder, decoder, bucket_id))
        expected = []
        for row in logits.argmax(axis=2).T.tolist():
            expected.append(row[:row.index(EOS_ID)] if EOS_ID in row else row)
        assert decoder_model.greedy_search(encoder, bucket_id) == expected
        lengths_seen.update(len(row) for row in expected)
    assert len(lengths_seen) > 2


@pytest.mark.slow
@pytest.mark.parametrize("mixed_precision, rtol", [
    # Within the dtype's rounding (2^-8 for bfloat16, 2^-11 for float16), not float32's 1e-6:
    # measured 7e-5 to 3.2e-4 and 3e-6 to 3.8e-5 over three seeds.
    ("bfloat16", 2e-3), ("float16", 2e-4)])
def test_mixed_precision_training_keeps_float32_variables_and_the_loss(mixed_precision, rtol):
    tf.random.set_seed(2)
    exact = model(num_samples=0)
    mixed = model(num_samples=0, mixed_precision=mixed_precision)
    for name, variable in exact.variables_by_name.items():
        mixed.variables_by_name[name].assign(variable)
    assert {v.dtype for v in mixed.variables_by_name.values()} == {tf.float32, tf.int32}
    batch = exact.get_batch(DATA, 1)
    _, exact_loss, _ = exact.step(None, *batch, 1, True)
    _, mixed_loss, _ = mixed.step(None, *batch, 1, True)
    assert mixed_loss.dtype == np.float32
    np.testing.assert_allclose(mixed_loss, exact_loss, rtol=rtol)
    assert not np.isclose(mixed_loss, exact_loss, rtol=1e-6, atol=0)
    # Trained on the same batches, the mixed model follows float32's loss curve.
    curves = []
    for trained in (exact, mixed):
        random.seed(0)
        curves.append([trained.step(None, *trained.get_batch(DATA, step % 3), step % 3,
                                    False)[1] for step in range(60)])
    exact_curve, mixed_curve = np.array(curves)
    assert np.mean(mixed_curve[-6:]) < 0.75 * np.mean(mixed_curve[:6])
    np.testing.assert_allclose(np.mean(mixed_curve[-6:]), np.mean(exact_curve[-6:]), rtol=0.05)
    # Every step was applied: float16's loss scale of 2^15 overflowed none.
    assert int(mixed.global_step.numpy()) == 60


@pytest.mark.parametrize("kwargs, message", [
    (dict(mixed_precision="float8"),
     "mixed_precision must be None, 'float32', 'bfloat16' or 'float16'"),
    (dict(mixed_precision="bfloat16", dtype=tf.float16), "needs float32 variables"),
    (dict(mixed_precision="float16", dtype=tf.float16), "needs float32 variables"),
])
def test_bad_mixed_precision_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        model(**kwargs)


def test_hparams_check_mixed_precision():
    with pytest.raises(ValueError, match="mixed_precision must be float32, bfloat16 or float16"):
        HParams(mixed_precision="fp8").validate()
    with pytest.raises(ValueError, match="exclude each other"):
        HParams(use_fp16=True, mixed_precision="bfloat16").validate()
    HParams(mixed_precision="bfloat16").validate()
    HParams(mixed_precision="float16").validate()


def test_xla_decode_is_chosen_for_small_decoders_only(monkeypatch):
    small = model(forward_only=True)
    # size 8, 2 GRU layers, vocabulary 13, sampled softmax: proj_w/proj_b, the decoder's
    # cells, its attention (AttnW, AttnV, its query and input maps) and output map.
    cells = 2 * ((16 * 16 + 16) + (16 * 8 + 8))
    attention = 8 * 8 + 8 + (16 * 8 + 8) + (16 * 8 + 8) + (16 * 8 + 8)
    assert small.decoder_step_parameters() == 13 * 8 + 13 + cells + attention
    assert small.xla_decode
    monkeypatch.setattr(seq2seq_model, "XLA_DECODE_MAX_PARAMETERS",
                        small.decoder_step_parameters() - 1)
    assert not model(forward_only=True).xla_decode
    assert model(forward_only=True, xla_decode=True).xla_decode


def test_hparams_check_xla_decode():
    with pytest.raises(ValueError, match="xla_decode must be one of auto, on, off"):
        HParams(xla_decode="yes").validate()
    for choice in ("auto", "on", "off"):
        HParams(xla_decode=choice).validate()


@pytest.mark.parametrize("forward_only", [True, False])
def test_building_a_model_computes_no_loss(forward_only, monkeypatch):
    # The sampled softmax gathers rows of proj_w, which leaves the variable in TensorFlow's
    # copy-on-read mode: every later dense read of it (each decode call's projection) would
    # copy the whole matrix. Creating the variables must not take that path.
    def no_loss(*args, **kwargs):
        raise AssertionError("the loss was computed while building the model")

    monkeypatch.setattr(seq2seq_model, "_sequence_crossent", no_loss)
    built = model(forward_only=forward_only)
    assert "proj_w" in built.variables_by_name
    with pytest.raises(AssertionError, match="the loss was computed"):
        built.step(None, *built.get_batch(DATA, 0), 0, True)


@pytest.mark.parametrize("mixed_precision", ["bfloat16", "float16"])
def test_mixed_precision_gathers_embedding_rows_without_reading_them_whole(mixed_precision):
    mixed = model(mixed_precision=mixed_precision)
    embeddings = {id(v.handle): name for name, v in mixed.variables_by_name.items()
                  if name.endswith("/embedding")}
    batch = [tf.constant(np.asarray(part), dtype)
             for part, dtype in zip(mixed.get_batch(DATA, 1), (tf.int32, tf.int32, tf.float32))]
    graph = tf.function(mixed.compute_gradients).get_concrete_function(None, *batch).graph
    captured = {placeholder.name: embeddings[id(value)] for value, placeholder in graph.captures
                if id(value) in embeddings}
    reads = collections.Counter()
    for op in graph.get_operations():
        if op.type in ("ReadVariableOp", "ResourceGather") and op.inputs[0].name in captured:
            reads[op.type, captured[op.inputs[0].name]] += 1
    assert len(embeddings) == 2
    # Each embedding is gathered from (encoder and decoder), never read whole and cast.
    assert {name for _, name in reads} == set(embeddings.values())
    assert {kind for kind, _ in reads} == {"ResourceGather"}
