"""The one training step: replicas' gradients, all-reduce, the NaN policy, the update.

A step (`Trainer.train_step`) is one compiled `tf.function`:

  1. `_replica_gradients`: loss, gradients and token count of a batch (on one device, the
     whole batch; under a strategy, each replica's share, run by `_run_replicas`);
  2. `_all_reduce`: the replicas' gradients summed (nothing to do on one device);
  3. `_update`: on every device, the model clips and applies the summed gradients; with
     `skip_nonfinite` (`--nan_policy=skip-batch`) only when the loss and the gradient norm
     are finite, so that a bad batch changes no variable and not the global step. A model
     with a `loss_scale` (float16 training) applies only finite gradients and updates its
     scale: an overflow skips the update, which is routine, not a fault.

`Trainer` runs it on one device, as the original: one trace serves every bucket (lengths and
batch size are dynamic). `StrategyTrainer` overrides the hooks that differ under a
`tf.distribute` strategy (distribute the global batch, run per replica, all-reduce, update every
copy, the chief) and traces at most twice: once for the first bucket's shapes, once more with
the shapes TensorFlow then relaxes to dynamic ones, which serve every later bucket.

What the trainer calls on a model (`TrainableModel`; `translate.seq2seq_model.Seq2SeqModel`
provides it) is deliberately small:

  compute_gradients(bucket_id, encoder, decoder, weights) -> (loss, gradients)
      a pure function of a time-major batch (`translate.batching` layout): the scalar loss
      averaged over the batch and one gradient per trainable variable; changes nothing.
  apply_gradients(gradients) -> norm
      clips, applies the update and increments `global_step`; returns the global norm
      before clipping.
  dtype, global_step
      the dtype of the target weights, and the step counter (the strategy's update hook
      places the update with it).
  loss_scale (optional)
      a `translate.train.loss_scale.DynamicLossScale`, or None; `compute_gradients` has
      already divided its gradients by the scale.

`Seq2SeqModel.step(...)`, the tutorial's API, takes its training steps through a `Trainer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import tensorflow as tf

from data_utils import PAD_ID
from translate.train.distribute import check_global_batch

_SUM = tf.distribute.ReduceOp.SUM

Gradients = list  # one tf.Tensor, tf.IndexedSlices or None per trainable variable


def scale_gradients(gradients: Sequence, factor: tf.Tensor) -> Gradients:
    """Every gradient times the scalar `factor` (`tf.IndexedSlices` stay sparse, None stays)."""

    def one(g):
        if g is None:
            return None
        if isinstance(g, tf.IndexedSlices):
            return tf.IndexedSlices(g.values * tf.cast(factor, g.values.dtype), g.indices,
                                    g.dense_shape)
        return g * tf.cast(factor, g.dtype)

    return [one(g) for g in gradients]


class TrainableModel(Protocol):
    """What a model provides to be trained by `Trainer` (see the module docstring)."""

    dtype: tf.DType
    global_step: tf.Variable

    def compute_gradients(self, bucket_id: int | None, encoder: tf.Tensor, decoder: tf.Tensor,
                          weights: tf.Tensor) -> tuple[tf.Tensor, Gradients]: ...

    def apply_gradients(self, gradients: Sequence) -> tf.Tensor: ...


class StepResult(NamedTuple):
    """What one training step reports (host values).

    Attributes:
      gradient_norm: global norm of the (all-reduced) gradients before clipping.
      loss: the global batch's loss, as one device computes it for the whole batch.
      tokens: non-padding source and target tokens of the global batch.
      applied: whether the update was applied (False for a batch skipped by
        `skip_nonfinite`, or by the loss scale).
      overflow: the model's loss scale found non-finite gradients with a finite loss: the
        update was skipped and the scale lowered.
    """

    gradient_norm: np.ndarray
    loss: np.ndarray
    tokens: int
    applied: bool = True
    overflow: bool = False


class Trainer:
    """Training steps of a model on one device (the original's training).

    Args:
      model: a `TrainableModel`.
      skip_nonfinite: apply a step's update only when its loss and gradient norm are finite
        (`--nan_policy=skip-batch`); False applies every update, as the original.
    """

    def __init__(self, model: TrainableModel, skip_nonfinite: bool = False):
        self.model = model
        self.skip_nonfinite = skip_nonfinite
        self._function = self._compile()

    # ------------------------------------------------------------------ hooks (one device)

    def _compile(self) -> tf.types.experimental.GenericFunction:
        """The compiled step; one device: one trace for every bucket."""
        return tf.function(self._step, autograph=False, input_signature=[
            tf.TensorSpec([None, None], tf.int32, name="encoder"),
            tf.TensorSpec([None, None], tf.int32, name="decoder"),
            tf.TensorSpec([None, None], self.model.dtype, name="weights")])

    def _distribute(self, encoder: np.ndarray, decoder: np.ndarray,
                    weights: np.ndarray) -> tuple:
        """A global batch as the compiled step takes it."""
        return encoder, decoder, weights

    def _run_replicas(self, fn: Callable, args: tuple) -> tuple:
        """Runs `fn` on every replica's share of the batch (one device: the batch)."""
        return fn(*args)

    def _sum_over_replicas(self, value: tf.Tensor) -> tf.Tensor:
        return value

    def _all_reduce(self, gradients: Gradients) -> Gradients:
        """The replicas' gradients summed (one device: as they are)."""
        return gradients

    def _update_every_copy(self, update: Callable, gradients: Gradients,
                           loss: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Runs `update(gradients, loss)` on every copy of the variables."""
        return update(gradients, loss)

    @property
    def is_chief(self) -> bool:
        """Whether this process writes checkpoints (always, on one machine)."""
        return True

    # -------------------------------------------------------------------------- the step

    def _replica_gradients(self, encoder: tf.Tensor, decoder: tf.Tensor,
                           weights: tf.Tensor) -> tuple[tf.Tensor, Gradients, tf.Tensor]:
        # The compiled step serves every bucket: there is no one bucket id to pass.
        loss, gradients = self.model.compute_gradients(None, encoder, decoder, weights)
        tokens = (tf.math.count_nonzero(tf.not_equal(encoder, PAD_ID), dtype=tf.int64)
                  + tf.cast(tf.reduce_sum(weights), tf.int64))
        return loss, gradients, tokens

    def _apply(self, gradients: Gradients,
               loss: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """The update on one copy of the variables: (norm before clipping, applied, overflow)."""
        loss_scale = getattr(self.model, "loss_scale", None)
        if not self.skip_nonfinite and loss_scale is None:
            return self.model.apply_gradients(gradients), tf.constant(True), tf.constant(False)
        norm = tf.linalg.global_norm(gradients)
        finite_norm = tf.math.is_finite(norm)
        apply = tf.constant(True)
        overflow = tf.constant(False)
        if loss_scale is not None:
            overflow = tf.logical_and(tf.math.is_finite(loss), tf.logical_not(finite_norm))
            apply = finite_norm
            loss_scale.update(finite_norm)
        if self.skip_nonfinite:
            apply = tf.logical_and(apply, tf.logical_and(tf.math.is_finite(loss), finite_norm))
        tf.cond(apply, lambda: self.model.apply_gradients(gradients), lambda: norm)
        return norm, apply, overflow

    def _step(self, encoder: tf.Tensor, decoder: tf.Tensor, weights: tf.Tensor):
        losses, gradients, tokens = self._run_replicas(
            self._replica_gradients, (encoder, decoder, weights))
        loss = self._sum_over_replicas(losses)
        norm, applied, overflow = self._update_every_copy(
            self._apply, self._all_reduce(gradients), loss)
        return norm, loss, self._sum_over_replicas(tokens), applied, overflow

    # ------------------------------------------------------------------------ the host API

    @property
    def step_function(self) -> tf.types.experimental.GenericFunction:
        """The compiled step (e.g. for its tracing count)."""
        return self._function

    def train_step(self, bucket_id: int, encoder, decoder, weights) -> StepResult:
        """One step on a batch already placed for the compiled step.

        Args:
          bucket_id: the batch's bucket (the trace is the same for every bucket).
          encoder: int32 [encoder_size, batch] (per replica under a strategy, e.g. from
            `translate.datasets.DistributedBuckets`).
          decoder: int32 [decoder_size, batch].
          weights: [decoder_size, batch] of the model's dtype.

        Returns:
          The step's `StepResult`.
        """
        del bucket_id
        norm, loss, tokens, applied, overflow = self._function(encoder, decoder, weights)
        return StepResult(norm.numpy(), loss.numpy(), int(tokens), bool(applied),
                          bool(overflow))

    def step(self, encoder_inputs: Sequence, decoder_inputs: Sequence,
             target_weights: Sequence, bucket_id: int | None = None) -> StepResult:
        """One step on a global batch laid out as `translate.batching.get_batch` returns it.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch].
          decoder_inputs: `decoder_size` int vectors [batch].
          target_weights: `decoder_size` float vectors [batch].
          bucket_id: the batch's bucket.

        Returns:
          The step's `StepResult`.
        """
        batch = self._distribute(np.asarray(encoder_inputs, dtype=np.int32),
                                 np.asarray(decoder_inputs, dtype=np.int32),
                                 np.asarray(target_weights,
                                            dtype=self.model.dtype.as_numpy_dtype))
        return self.train_step(bucket_id, *batch)


class StrategyTrainer(Trainer):
    """Training steps under a `tf.distribute` strategy: the same step, per replica.

    A step's global batch is split evenly across the replicas. Each replica computes the
    gradients of its share and scales them by its share of the global batch, so the summed
    (all-reduced) gradients are the gradients of the single-device loss, sum of per-example
    log-perplexities / global batch size. Then every device applies the same all-reduced
    gradients to its copy of the variables: the same clipping to the global norm, learning rate
    and SGD update as on one device, and under `skip_nonfinite` the same decision.

    Args:
      strategy: the strategy the model's variables were created under.
      model: the model, created in the strategy's scope.
      global_batch_size: pairs per step over all replicas.
      skip_nonfinite: see `Trainer`.

    Raises:
      ValueError: `global_batch_size` is not divisible by the number of replicas.
    """

    def __init__(self, strategy: tf.distribute.Strategy, model: TrainableModel,
                 global_batch_size: int, skip_nonfinite: bool = False):
        check_global_batch(strategy, global_batch_size)
        self.strategy = strategy
        self.global_batch_size = global_batch_size
        super().__init__(model, skip_nonfinite)

    def _compile(self) -> tf.types.experimental.GenericFunction:
        # Per-replica values have no fixed signature: relaxing the shapes after the first
        # trace gives one more trace whose dynamic shapes serve every later bucket.
        return tf.function(self._step, autograph=False, reduce_retracing=True)

    def _distribute(self, encoder: np.ndarray, decoder: np.ndarray,
                    weights: np.ndarray) -> tuple:
        """Replica r of n (over all workers) takes columns [r * B / n, (r + 1) * B / n)."""
        width = int(encoder.shape[1])
        if width != self.global_batch_size:
            raise ValueError(f"the batch has {width} pairs, the trainer was built for "
                             f"{self.global_batch_size}")
        batch = [tf.constant(encoder), tf.constant(decoder), tf.constant(weights)]

        def share(context: tf.distribute.ValueContext) -> list[tf.Tensor]:
            size = width // context.num_replicas_in_sync
            start = context.replica_id_in_sync_group * size
            return [t[:, start:start + size] for t in batch]

        return tuple(self.strategy.experimental_distribute_values_from_function(share))

    def _run_replicas(self, fn: Callable, args: tuple) -> tuple:
        return self.strategy.run(fn, args=args)

    def _sum_over_replicas(self, value: tf.Tensor) -> tf.Tensor:
        return self.strategy.reduce(_SUM, value, axis=None)

    def _replica_gradients(self, encoder: tf.Tensor, decoder: tf.Tensor,
                           weights: tf.Tensor) -> tuple[tf.Tensor, Gradients, tf.Tensor]:
        loss, gradients, tokens = super()._replica_gradients(encoder, decoder, weights)
        # The model's loss averages over this replica's share; summed over the replicas, the
        # scaled losses (and gradients) average over the global batch.
        share = tf.cast(tf.shape(encoder)[1], loss.dtype) / self.global_batch_size
        return loss * share, scale_gradients(gradients, share), tokens

    def _all_reduce(self, gradients: Gradients) -> Gradients:
        present = [i for i, g in enumerate(gradients) if g is not None]
        reduced = self.strategy.extended.batch_reduce_to(
            _SUM, [(gradients[i], self.model.global_step) for i in present])
        summed: Gradients = [None] * len(gradients)
        for i, g in zip(present, reduced):
            summed[i] = g
        return summed

    def _update_every_copy(self, update: Callable, gradients: Gradients,
                           loss: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        def on_one_device(_, loss, *gradients):
            return update(list(gradients), loss)

        # Every device applies the same all-reduced gradients to its own copy; the results
        # (one per local device) are equal.
        norms, applied, overflow = self.strategy.extended.update(
            self.model.global_step, on_one_device, args=(loss, *gradients), group=False)
        return norms[0], applied[0], overflow[0]

    @property
    def is_chief(self) -> bool:
        """Whether this process writes checkpoints (the chief of a cluster)."""
        return self.strategy.extended.should_checkpoint


def make_trainer(model: TrainableModel, strategy: tf.distribute.Strategy | None,
                 global_batch_size: int, skip_nonfinite: bool = False) -> Trainer:
    """`Trainer` for the default (None) strategy, else a `StrategyTrainer`."""
    if strategy is None:
        return Trainer(model, skip_nonfinite)
    return StrategyTrainer(strategy, model, global_batch_size, skip_nonfinite)
