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

While every loss is finite neither policy changes anything: same updates, same output.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from translate import checkpoints
from translate.seq2seq_model import Seq2SeqModel

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

    Attributes:
      skipped: how many batches "skip-batch" has skipped so far.

    Raises:
      ValueError: an unknown policy.
    """

    def __init__(self, model: Seq2SeqModel, policy: str, train_dir: str):
        if policy not in POLICIES:
            raise ValueError(f"nan_policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        self._model = model
        self._policy = policy
        self._train_dir = train_dir
        self._guarded_steps: dict[int, tf.types.experimental.GenericFunction] = {}
        self._skipped_in_a_row = 0
        self.skipped = 0

    def step(self, encoder_inputs: Sequence[np.ndarray], decoder_inputs: Sequence[np.ndarray],
             target_weights: Sequence[np.ndarray], bucket_id: int) -> float | None:
        """One training step on a batch laid out by `get_batch`.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch].
          decoder_inputs: `decoder_size` int vectors [batch].
          target_weights: `decoder_size` float vectors [batch].
          bucket_id: the bucket of the batch.

        Returns:
          The batch's loss, or None when the batch was skipped.

        Raises:
          NonFiniteLossError: the loss or gradient norm is not finite and the policy is
            "stop", or `MAX_CONSECUTIVE_SKIPS` batches in a row were skipped.
        """
        if self._policy == "stop":
            norm, loss, _ = self._model.step(
                None, encoder_inputs, decoder_inputs, target_weights, bucket_id, False)
            self.check(loss, norm, bucket_id)
            return float(loss)
        norm, loss, applied = self._guarded_step(bucket_id)(
            np.asarray(encoder_inputs, dtype=np.int32),
            np.asarray(decoder_inputs, dtype=np.int32),
            np.asarray(target_weights, dtype=self._model.dtype.as_numpy_dtype))
        if bool(applied):
            self._skipped_in_a_row = 0
            return float(loss)
        self.skipped += 1
        self._skipped_in_a_row += 1
        fault = _fault(loss, norm, int(self._model.global_step.numpy()) + 1, bucket_id)
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

    def _guarded_step(self, bucket_id: int) -> tf.types.experimental.GenericFunction:
        """A training step that applies its update only when loss and gradients are finite."""
        if bucket_id not in self._guarded_steps:
            model = self._model

            def guarded_step(encoder, decoder, weights):
                loss, gradients = model.compute_gradients(bucket_id, encoder, decoder, weights)
                norm = tf.linalg.global_norm(gradients)
                finite = tf.logical_and(tf.math.is_finite(loss), tf.math.is_finite(norm))
                tf.cond(finite, lambda: model.apply_gradients(gradients), lambda: norm)
                return norm, loss, finite

            encoder_size, decoder_size = model.buckets[bucket_id]
            self._guarded_steps[bucket_id] = tf.function(
                guarded_step, autograph=False, input_signature=[
                    tf.TensorSpec([encoder_size, None], tf.int32),
                    tf.TensorSpec([decoder_size, None], tf.int32),
                    tf.TensorSpec([decoder_size, None], model.dtype)])
        return self._guarded_steps[bucket_id]


def _fault(loss: float, norm: float, step: int, bucket_id: int | None) -> str:
    where = f"global step {step}" + (f", bucket {bucket_id}" if bucket_id is not None else "")
    return f"non-finite training loss {float(loss)} (gradient norm {float(norm)}) at {where}"
