"""What training does when a loss or gradient norm is not a finite number (`--nan_policy`).

The original trained on after a NaN or infinite loss: the clipped update turns every weight
into NaN and each later checkpoint overwrites a good one with garbage. Here a training step
whose loss or gradient norm is NaN or infinite either

- stops training (policy "stop", the default) with a message naming the global step and the
  bucket; the update was applied, but nothing is saved, so the latest checkpoint stays the last
  good one; or
- is skipped (policy "skip-batch"): its update is not applied and the global step does not
  advance, a line goes to stderr, and training goes on; `MAX_CONSECUTIVE_SKIPS` skipped batches
  in a row stop training as above.

While every loss is finite neither policy changes anything: same updates, same output. A step
that float16 training's loss scale skipped (its gradients overflowed, the loss was finite) is
neither: it is routine, and training goes on quietly with the lowered scale, unless
`MAX_CONSECUTIVE_SKIPS` steps in a row overflow. The skipping itself happens in the compiled
step (`translate.train.trainer`, `skip_nonfinite`), so it works the same on one device and
under every distribution strategy; this module turns a step's result into the policy's outcome
(go on, a line on stderr, or `NonFiniteLossError`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from translate import checkpoints
from translate.seq2seq_model import Seq2SeqModel
from translate.train.trainer import StepResult, make_trainer

POLICIES = ("stop", "skip-batch")
MAX_CONSECUTIVE_SKIPS = 100


class NonFiniteLossError(FloatingPointError):
    """Training met a NaN or infinite loss or gradient norm and stopped."""


class GuardedTrainer:
    """Takes training steps of `model` under a `--nan_policy`.

    Args:
      model: the training model.
      policy: "stop" or "skip-batch".
      train_dir: where the checkpoints are (named in the message on stopping).
      strategy: the distribution strategy the model was created under (None: one device).

    Attributes:
      trainer: the step engine (`translate.train.trainer`).
      skipped: how many batches "skip-batch" has skipped so far.
      overflows: how many steps float16's loss scale has skipped so far.

    Raises:
      ValueError: an unknown policy.
    """

    def __init__(self, model: Seq2SeqModel, policy: str, train_dir: str,
                 strategy: tf.distribute.Strategy | None = None):
        if policy not in POLICIES:
            raise ValueError(f"nan_policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        self._model = model
        self._policy = policy
        self._train_dir = train_dir
        self.trainer = make_trainer(model, strategy, model.batch_size,
                                    skip_nonfinite=policy == "skip-batch")
        self._skipped_in_a_row = 0
        self.skipped = 0
        self._overflows_in_a_row = 0
        self.overflows = 0

    def step(self, encoder_inputs: Sequence[np.ndarray], decoder_inputs: Sequence[np.ndarray],
             target_weights: Sequence[np.ndarray], bucket_id: int) -> float | None:
        """One training step on a global batch laid out by `get_batch`.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch].
          decoder_inputs: `decoder_size` int vectors [batch].
          target_weights: `decoder_size` float vectors [batch].
          bucket_id: the bucket of the batch.

        Returns:
          The batch's loss, or None when the batch was skipped (by "skip-batch" or by the
          loss scale).

        Raises:
          NonFiniteLossError: the loss or gradient norm is not finite and the policy is
            "stop", or `MAX_CONSECUTIVE_SKIPS` batches in a row were skipped (or overflowed
            float16).
        """
        return self._judge(self.trainer.step(encoder_inputs, decoder_inputs, target_weights,
                                             bucket_id), bucket_id)

    def train_step(self, bucket_id: int, *batch) -> float | None:
        """`step` on a batch already placed for the trainer (per replica under a strategy,
        e.g. from `translate.datasets.DistributedBuckets`)."""
        return self._judge(self.trainer.train_step(bucket_id, *batch), bucket_id)

    def _judge(self, result: StepResult, bucket_id: int) -> float | None:
        if result.overflow:
            self.overflows += 1
            self._overflows_in_a_row += 1
            if self._overflows_in_a_row >= MAX_CONSECUTIVE_SKIPS:
                scale = float(self._model.loss_scale.scale.numpy())
                raise NonFiniteLossError(
                    f"{MAX_CONSECUTIVE_SKIPS} steps in a row had float16 gradients that "
                    f"overflowed (loss scale now {scale:g}), the last at global step "
                    f"{int(self._model.global_step.numpy()) + 1}, bucket {bucket_id}; training "
                    "stopped. Train with --mixed_precision bfloat16 or float32 instead. "
                    f"{self._latest_note()}")
            return None
        self._overflows_in_a_row = 0
        if self._policy == "stop":
            self.check(result.loss, result.gradient_norm, bucket_id)
            return float(result.loss)
        if result.applied:
            self._skipped_in_a_row = 0
            return float(result.loss)
        self.skipped += 1
        self._skipped_in_a_row += 1
        fault = _fault(result.loss, result.gradient_norm,
                       int(self._model.global_step.numpy()) + 1, bucket_id)
        if self._skipped_in_a_row >= MAX_CONSECUTIVE_SKIPS:
            raise NonFiniteLossError(
                f"{MAX_CONSECUTIVE_SKIPS} batches in a row had a non-finite loss or gradient "
                f"norm, the last {fault}; training stopped. {self._latest_note()}")
        print(f"Skipped a batch: {fault} (--nan_policy=skip-batch).", file=sys.stderr)
        return None

    def check(self, loss: float, norm: float, bucket_id: int | None = None) -> None:
        """Stops on a training step, already taken, whose loss or gradient norm is not finite.

        Args:
          loss: the step's loss.
          norm: the step's gradient norm before clipping.
          bucket_id: the step's bucket, when known.

        Raises:
          NonFiniteLossError: names the global step (the step was counted: it is the one that
            failed) and the bucket.
        """
        if not (math.isfinite(loss) and math.isfinite(norm)):
            raise NonFiniteLossError(
                f"{_fault(loss, norm, int(self._model.global_step.numpy()), bucket_id)}; "
                f"training stopped. {self._latest_note(suggest_skipping=True)}")

    def check_parameters(self) -> None:
        """Checks that every floating-point variable is finite before it is saved.

        Raises:
          NonFiniteLossError: names a variable holding NaN or infinity.
        """
        for name, var in self._model.variables_by_name.items():
            if var.dtype.is_floating and not bool(tf.reduce_all(tf.math.is_finite(var))):
                raise NonFiniteLossError(
                    f"variable '{name}' holds NaN or infinite values at global step "
                    f"{int(self._model.global_step.numpy())}; not saved, training stopped. "
                    f"{self._latest_note()}")

    def _latest_note(self, suggest_skipping: bool = False) -> str:
        latest = checkpoints.latest_checkpoint(self._train_dir)
        note = (f"The latest checkpoint, {latest}, holds the last good parameters."
                if latest else "No checkpoint was written.")
        if suggest_skipping:
            note += " --nan_policy=skip-batch skips such batches instead."
        return note


def _fault(loss: float, norm: float, step: int, bucket_id: int | None) -> str:
    where = f"global step {step}" + (f", bucket {bucket_id}" if bucket_id is not None else "")
    return f"non-finite training loss {float(loss)} (gradient norm {float(norm)}) at {where}"
