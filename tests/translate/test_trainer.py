"""The one training step engine: `Seq2SeqModel.step` goes through it, one trace serves every
bucket, and the NaN policy is an option of the step on one device and under a strategy (the
2-replica case is in test_distribute_mirrored.py)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import tensorflow as tf

from translate import batching
from translate.seq2seq_model import Seq2SeqModel
from translate.train.trainer import StrategyTrainer, Trainer

BUCKETS = [(3, 4), (5, 6)]
DATA = [[([4, 5], [6, 7, 2]), ([8], [9, 2])], [([4, 5, 6, 7], [6, 7, 8, 2])]]


def model(**kwargs) -> Seq2SeqModel:
    # Full softmax: no sampled candidates, so two models see the same numbers.
    return Seq2SeqModel(20, 20, BUCKETS, 8, 1, 5.0, 2, 0.5, 0.9, num_samples=0, **kwargs)


def same_models() -> tuple[Seq2SeqModel, Seq2SeqModel]:
    first, second = model(), model()
    for name, variable in second.variables_by_name.items():
        variable.assign(first.variables_by_name[name].read_value())
    return first, second


def nan_weights(batch):
    encoder, decoder, weights = batch
    return encoder, decoder, [np.full_like(w, np.nan) for w in weights]


def test_model_step_is_the_trainers_step_with_one_trace_for_every_bucket():
    trained, reference = same_models()
    trainer = Trainer(reference)
    random.seed(3)
    for bucket_id in (0, 1, 0, 1):
        batch = trained.get_batch(DATA, bucket_id)
        norm, loss, outputs = trained.step(None, *batch, bucket_id, False)
        result = trainer.step(*batch, bucket_id)
        assert outputs is None and result.applied
        assert loss == result.loss and norm == result.gradient_norm
        weights = np.asarray(batch[2])
        assert result.tokens == int(np.count_nonzero(batch[0])) + int(weights.sum())
    assert trained.trainer.step_function.experimental_get_tracing_count() == 1
    assert trained.tracing_counts()["train"] == 1
    assert int(trained.global_step.numpy()) == 4
    for name, variable in trained.variables_by_name.items():
        np.testing.assert_array_equal(variable.numpy(), reference.variables_by_name[name].numpy())


@pytest.mark.slow
def test_without_skipping_a_nan_batch_is_applied_as_the_original_did():
    trained = model()
    result = Trainer(trained).step(*nan_weights(trained.get_batch(DATA, 0)), 0)
    assert result.applied and np.isnan(result.loss)
    assert int(trained.global_step.numpy()) == 1
    assert any(np.isnan(v.numpy()).any() for v in trained.params)


@pytest.mark.slow
def test_skipping_under_the_default_strategy_is_the_one_device_step():
    trained, reference = same_models()
    strategy_trainer = StrategyTrainer(tf.distribute.get_strategy(), trained, 2,
                                       skip_nonfinite=True)
    trainer = Trainer(reference, skip_nonfinite=True)
    before = {n: v.numpy().copy() for n, v in trained.variables_by_name.items()}
    random.seed(5)
    bad = nan_weights(batching.get_batch(DATA, 1, BUCKETS, 2))
    skipped, reference_skipped = strategy_trainer.step(*bad, 1), trainer.step(*bad, 1)
    assert not skipped.applied and not reference_skipped.applied
    for name, variable in trained.variables_by_name.items():
        np.testing.assert_array_equal(variable.numpy(), before[name])
    for bucket_id in (0, 1):
        batch = batching.get_batch(DATA, bucket_id, BUCKETS, 2)
        result, expected = strategy_trainer.step(*batch, bucket_id), trainer.step(*batch, bucket_id)
        assert result.applied and expected.applied
        np.testing.assert_allclose(result.loss, expected.loss, atol=1e-6)
    assert int(trained.global_step.numpy()) == int(reference.global_step.numpy()) == 2
    for name, variable in trained.variables_by_name.items():
        np.testing.assert_allclose(variable.numpy(), reference.variables_by_name[name].numpy(),
                                   atol=1e-6, err_msg=name)
