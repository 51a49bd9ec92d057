"""Run by test_distribute_mirrored.py in its own process (logical CPU devices must be configured
before TensorFlow starts): training steps under MirroredStrategy on two CPU devices against the
same steps on one device, and checkpoints across replica counts.

Prints one JSON object: per configuration the largest differences found (the test judges them).
"""

from __future__ import annotations

import json
import os
import random
import sys

import numpy as np

from translate.train import distribute

STRATEGY = distribute.make_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])

import tensorflow as tf  # noqa: E402

from translate import batching, checkpoints  # noqa: E402
from translate.seq2seq_model import Seq2SeqModel  # noqa: E402
from translate.train.trainer import StrategyTrainer, Trainer  # noqa: E402

BUCKETS = [(3, 4), (6, 8)]
VOCAB = 30
GLOBAL_BATCH = 6


def make_data(seed: int) -> list[list[batching.Pair]]:
    rng = random.Random(seed)
    data: list[list[batching.Pair]] = [[], []]
    for bucket_id, (source_size, target_size) in enumerate(BUCKETS):
        for _ in range(20):
            source = [rng.randrange(4, VOCAB) for _ in range(rng.randrange(1, source_size))]
            target = [rng.randrange(4, VOCAB) for _ in range(rng.randrange(0, target_size - 1))]
            data[bucket_id].append((source, target + [2]))
    return data


def build(num_samples: int, num_layers: int) -> Seq2SeqModel:
    return Seq2SeqModel(VOCAB, VOCAB, BUCKETS, 16, num_layers, 0.05, GLOBAL_BATCH, 0.5, 0.99,
                        num_samples=num_samples)


def replica_values(variable: tf.Variable) -> list[np.ndarray]:
    return [v.numpy() for v in STRATEGY.experimental_local_results(variable)]


def compare(num_samples: int, num_layers: int, steps: int) -> tuple[dict, Seq2SeqModel]:
    """Steps a mirrored and a single-device model on the same global batches.

    Returns:
      (largest differences, the mirrored model).
    """
    with STRATEGY.scope():
        mirrored = build(num_samples, num_layers)
    single = build(num_samples, num_layers)
    for name, variable in single.variables_by_name.items():
        variable.assign(mirrored.variables_by_name[name].read_value())
    trainer = StrategyTrainer(STRATEGY, mirrored, GLOBAL_BATCH)
    data = make_data(seed=num_layers)
    random.seed(7)
    loss_diff = norm_diff = 0.0
    clipped = 0
    for step in range(steps):
        bucket_id = step % len(BUCKETS)
        batch = batching.get_batch(data, bucket_id, BUCKETS, GLOBAL_BATCH)
        result = trainer.step(*batch, bucket_id)
        norm, loss, _ = single.step(None, *batch, bucket_id, False)
        loss_diff = max(loss_diff, abs(float(result.loss) - float(loss)))
        norm_diff = max(norm_diff, abs(float(result.gradient_norm) - float(norm)))
        clipped += int(float(norm) > single.max_gradient_norm)
    variable_diff = replica_diff = 0.0
    for name, variable in mirrored.variables_by_name.items():
        copies = replica_values(variable)
        reference = single.variables_by_name[name].numpy()
        variable_diff = max(variable_diff, *(float(np.max(np.abs(c - reference)))
                                             for c in copies))
        replica_diff = max(replica_diff, float(np.max(np.abs(copies[0] - copies[1]))))
    return {"loss": loss_diff, "norm": norm_diff, "variables": variable_diff,
            "replicas": replica_diff, "clipped_steps": clipped,
            "global_step": [int(v) for v in replica_values(mirrored.global_step)],
            "single_global_step": int(single.global_step.numpy()),
            "learning_rate": [float(v) for v in replica_values(mirrored.learning_rate)]}, mirrored


def checkpoint_round_trip(trained: Seq2SeqModel, directory: str) -> dict:
    """A checkpoint of a 2-replica model restored on 2 replicas and on one device."""
    prefix = checkpoints.save_checkpoint(
        trained.variables_by_name,
        os.path.join(directory, f"translate.ckpt-{int(trained.global_step.numpy())}"))
    with STRATEGY.scope():
        on_two = build(512, 2)
    on_two.saver.restore(None, prefix)
    on_one = build(512, 2)
    on_one.saver.restore(None, prefix)
    two_diff = one_diff = 0.0
    for name, variable in trained.variables_by_name.items():
        expected = variable.numpy()
        two_diff = max(two_diff, *(float(np.max(np.abs(c - expected)))
                                   for c in replica_values(on_two.variables_by_name[name])))
        one_diff = max(one_diff, float(np.max(np.abs(
            on_one.variables_by_name[name].numpy() - expected))))
    stored = set(tf.train.load_checkpoint(prefix).get_variable_to_shape_map())
    return {"two_replicas": two_diff, "one_device": one_diff,
            "names_match": stored == set(on_one.variables_by_name),
            "global_step": int(on_one.global_step.numpy())}


def skip_batch() -> dict:
    """--nan_policy=skip-batch under the strategy: a NaN batch changes nothing on either replica,
    the next batches train as on one device (also skipping), through at most two traces."""
    with STRATEGY.scope():
        mirrored = build(512, 1)
    single = build(512, 1)
    for name, variable in single.variables_by_name.items():
        variable.assign(mirrored.variables_by_name[name].read_value())
    trainer = StrategyTrainer(STRATEGY, mirrored, GLOBAL_BATCH, skip_nonfinite=True)
    reference = Trainer(single, skip_nonfinite=True)
    data = make_data(seed=3)
    random.seed(11)
    before = {name: replica_values(v) for name, v in mirrored.variables_by_name.items()}
    encoder, decoder, weights = batching.get_batch(data, 0, BUCKETS, GLOBAL_BATCH)
    poisoned = [np.full_like(w, np.nan) for w in weights]
    skipped = trainer.step(encoder, decoder, poisoned, 0)
    reference_skipped = reference.step(encoder, decoder, poisoned, 0)
    unchanged = all(np.array_equal(copy, old, equal_nan=True)
                    for name, v in mirrored.variables_by_name.items()
                    for copy, old in zip(replica_values(v), before[name]))
    loss_diff = 0.0
    for step in range(4):  # both buckets, twice
        bucket_id = step % len(BUCKETS)
        batch = batching.get_batch(data, bucket_id, BUCKETS, GLOBAL_BATCH)
        result = trainer.step(*batch, bucket_id)
        expected = reference.step(*batch, bucket_id)
        loss_diff = max(loss_diff, abs(float(result.loss) - float(expected.loss)))
    variable_diff = max(float(np.max(np.abs(c - single.variables_by_name[name].numpy())))
                        for name, v in mirrored.variables_by_name.items()
                        for c in replica_values(v))
    return {"skipped_applied": [skipped.applied, reference_skipped.applied],
            "skipped_loss_finite": bool(np.isfinite(skipped.loss)),
            "unchanged": unchanged,
            "global_step": [int(v) for v in replica_values(mirrored.global_step)],
            "loss": loss_diff, "variables": variable_diff,
            "traces": trainer.step_function.experimental_get_tracing_count()}


def float16_overflow() -> dict:
    """float16 under the strategy: an overflowing step is skipped and lowers the loss scale on
    every replica alike; the next step, at a safe scale, trains them alike."""
    with STRATEGY.scope():
        mirrored = Seq2SeqModel(VOCAB, VOCAB, BUCKETS, 16, 1, 5.0, GLOBAL_BATCH, 0.5, 0.99,
                                num_samples=8, mixed_precision="float16")
    trainer = StrategyTrainer(STRATEGY, mirrored, GLOBAL_BATCH)
    data = make_data(seed=5)
    random.seed(13)
    before = {name: replica_values(v) for name, v in mirrored.variables_by_name.items()}
    mirrored.loss_scale.scale.assign(2.0 ** 40)
    overflowed = trainer.step(*batching.get_batch(data, 0, BUCKETS, GLOBAL_BATCH), 0)
    unchanged = all(np.array_equal(copy, old)
                    for name, v in mirrored.variables_by_name.items()
                    for copy, old in zip(replica_values(v), before[name]))
    scales = [float(v) for v in replica_values(mirrored.loss_scale.scale)]
    mirrored.loss_scale.scale.assign(2.0 ** 10)
    trained = trainer.step(*batching.get_batch(data, 1, BUCKETS, GLOBAL_BATCH), 1)
    replica_diff = max(float(np.max(np.abs(copies[0] - copies[1])))
                       for copies in (replica_values(v)
                                      for v in mirrored.variables_by_name.values()))
    return {"overflow": [overflowed.overflow, overflowed.applied], "unchanged": unchanged,
            "scales_after_overflow": scales,
            "trained": [trained.overflow, trained.applied, bool(np.isfinite(trained.loss))],
            "global_step": [int(v) for v in replica_values(mirrored.global_step)],
            "replicas": replica_diff}


def main() -> None:
    # The clipping threshold (0.05) is low enough that the steps are clipped: clipping must
    # act on the global, all-reduced gradient.
    full, trained = compare(512, 2, steps=len(BUCKETS))
    # Sampled softmax draws candidates per replica: the replicas must still stay in sync.
    sampled, _ = compare(8, 1, steps=len(BUCKETS))
    print(json.dumps({
        "gru2_full_softmax": full,
        "gru1_sampled_softmax": {"replicas": sampled["replicas"],
                                 "loss_finite": bool(np.isfinite(sampled["loss"]))},
        "checkpoint": checkpoint_round_trip(trained, sys.argv[1]),
        "skip_batch": skip_batch(),
        "float16_overflow": float16_overflow(),
    }))


if __name__ == "__main__":
    main()
