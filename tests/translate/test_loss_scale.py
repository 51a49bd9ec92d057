"""float16 training (`--mixed_precision float16`): the dynamic loss scale and what the trainer
and the NaN policy do with a step whose scaled gradients overflow."""

from __future__ import annotations

import random

import numpy as np
import pytest
import tensorflow as tf

from translate.seq2seq_model import Seq2SeqModel
from translate.train import nan_policy
from translate.train.loss_scale import DynamicLossScale
from translate.train.nan_policy import GuardedTrainer, NonFiniteLossError

BUCKETS = [(3, 4), (5, 6)]
DATA = [[([4, 5], [6, 7, 2]), ([8], [9, 2])],
        [([4, 5, 6, 7], [8, 9, 10, 2]), ([5, 5, 5], [6, 2])]]


def model(**kwargs) -> Seq2SeqModel:
    args = dict(source_vocab_size=13, target_vocab_size=13, buckets=BUCKETS, size=8,
                num_layers=2, max_gradient_norm=5.0, batch_size=4, learning_rate=0.5,
                learning_rate_decay_factor=0.5, num_samples=0)
    return Seq2SeqModel(**{**args, **kwargs})


def test_the_scale_halves_on_overflow_and_doubles_after_the_growth_interval():
    scale = DynamicLossScale(initial_scale=8.0, growth_interval=3)
    seen = [float(scale.update(tf.constant(finite)))
            for finite in (True, True, True, True, False, True, False, False, False, False)]
    assert seen == [8, 8, 16, 16, 8, 8, 4, 2, 1, 1]  # never under 1
    assert int(scale.good_steps.numpy()) == 0
    scale.update(tf.constant(True))
    assert int(scale.good_steps.numpy()) == 1


def test_unscaling_divides_dense_and_sparse_gradients_and_keeps_none():
    scale = DynamicLossScale(initial_scale=4.0)
    assert float(scale.scale_loss(tf.constant(3.0))) == 12.0
    dense, sparse, missing = scale.unscale([
        tf.constant([4.0, 8.0]),
        tf.IndexedSlices(tf.constant([[4.0]]), tf.constant([2]), tf.constant([5, 1])),
        None])
    np.testing.assert_array_equal(dense.numpy(), [1.0, 2.0])
    assert isinstance(sparse, tf.IndexedSlices)
    np.testing.assert_array_equal(sparse.values.numpy(), [[1.0]])
    np.testing.assert_array_equal(sparse.indices.numpy(), [2])
    assert missing is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(initial_scale=0.5), "initial loss scale must be at least 1"),
    (dict(growth_interval=0), "growth interval must be at least 1"),
])
def test_bad_loss_scale_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DynamicLossScale(**kwargs)


def _copy_weights(source: Seq2SeqModel, target: Seq2SeqModel) -> None:
    for name, variable in source.variables_by_name.items():
        target.variables_by_name[name].assign(variable)


def _gradients(trained: Seq2SeqModel, batch) -> list[np.ndarray]:
    encoder, decoder, weights = (np.asarray(part) for part in batch)
    _, gradients = trained.compute_gradients(
        None, tf.constant(encoder, tf.int32), tf.constant(decoder, tf.int32),
        tf.constant(weights, tf.float32))
    return [tf.convert_to_tensor(g).numpy() for g in gradients]


def _relative_error(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum((g - w) ** 2) for g, w in zip(got, want)))
                 / np.sqrt(sum(np.sum(w ** 2) for w in want)))


def test_float16_gradients_are_exact_to_float16_only_at_a_large_enough_scale():
    tf.random.set_seed(3)
    exact = model()
    mixed = model(mixed_precision="float16")
    _copy_weights(exact, mixed)
    assert mixed.loss_scale is not None and exact.loss_scale is None
    assert model(dtype=tf.float16).loss_scale is None  # --use_fp16 trains as the original
    assert {v.dtype for v in mixed.variables_by_name.values()} == {tf.float32, tf.int32}
    random.seed(0)
    batch = exact.get_batch(DATA, 1)
    want = _gradients(exact, batch)
    errors = {}
    # The unscaled gradients are the same whatever the scale, but the backward pass runs in
    # float16 on gradients the scale's size: a scale of 2^-20 is what a loss a million times
    # smaller would meet, where float16 rounds most gradients to zero.
    for scale in (2.0 ** 15, 2.0 ** -20):
        mixed.loss_scale.scale.assign(scale)
        errors[scale] = _relative_error(_gradients(mixed, batch), want)
    # Measured over three seeds: 6.6e-4 to 7.8e-4 at 2^15, 0.79 to 0.92 at 2^-20.
    assert 0 < errors[2.0 ** 15] < 2e-3  # computed in float16, close to float32
    assert errors[2.0 ** -20] > 0.5


def _values(trained: Seq2SeqModel) -> dict[str, np.ndarray]:
    return {name: v.numpy() for name, v in trained.variables_by_name.items()}


@pytest.mark.parametrize("policy", nan_policy.POLICIES)
def test_an_overflowing_step_is_skipped_quietly_and_lowers_the_scale(policy, tmp_path, capsys):
    tf.random.set_seed(4)
    mixed = model(mixed_precision="float16")
    guard = GuardedTrainer(mixed, policy, str(tmp_path))
    random.seed(0)
    batch = mixed.get_batch(DATA, 0)
    # 2^40 lifts the gradients past float16's largest number (65504).
    mixed.loss_scale.scale.assign(2.0 ** 40)
    before = _values(mixed)
    assert guard.step(*batch, 0) is None
    after = _values(mixed)
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)
    assert int(mixed.global_step.numpy()) == 0
    assert float(mixed.loss_scale.scale.numpy()) == 2.0 ** 39
    assert guard.overflows == 1 and guard.skipped == 0
    assert capsys.readouterr().err == ""
    # At a safe scale the next step trains: a finite loss, the step counted.
    mixed.loss_scale.scale.assign(2.0 ** 10)
    loss = guard.step(*batch, 0)
    assert loss is not None and np.isfinite(loss)
    assert int(mixed.global_step.numpy()) == 1
    trained = _values(mixed)
    changed = [name for name, value in before.items()
               if not np.array_equal(trained[name], value)]
    assert len(changed) > len(before) // 2


def test_the_step_result_says_overflow_and_the_tutorial_step_reports_it(tmp_path):
    tf.random.set_seed(5)
    mixed = model(mixed_precision="float16")
    random.seed(0)
    batch = mixed.get_batch(DATA, 1)
    mixed.loss_scale.scale.assign(2.0 ** 40)
    result = mixed.trainer.step(*batch, bucket_id=1)
    assert result.overflow and not result.applied
    assert np.isfinite(result.loss) and not np.isfinite(result.gradient_norm)
    norm, loss, _ = mixed.step(None, *batch, 1, False)  # the original's API: norm is inf
    assert not np.isfinite(norm) and np.isfinite(loss)
    assert int(mixed.global_step.numpy()) == 0


def test_overflow_at_every_step_stops_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(nan_policy, "MAX_CONSECUTIVE_SKIPS", 3)
    tf.random.set_seed(6)
    mixed = model(mixed_precision="float16")
    guard = GuardedTrainer(mixed, "stop", str(tmp_path))
    random.seed(0)
    batch = mixed.get_batch(DATA, 0)
    mixed.loss_scale.scale.assign(2.0 ** 60)
    assert guard.step(*batch, 0) is None
    assert guard.step(*batch, 0) is None
    with pytest.raises(NonFiniteLossError,
                       match=r"3 steps in a row had float16 gradients that overflowed \(loss "
                             r"scale now 1\.44115e\+17\).*--mixed_precision bfloat16 or "
                             "float32 instead. No checkpoint was written"):
        guard.step(*batch, 0)
