"""Sequence losses: weighted cross-entropy summed over time steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf

__all__ = ["sequence_loss_by_example", "sequence_loss"]

SoftmaxLossFunction = Callable[..., tf.Tensor]


def sequence_loss_by_example(
    logits: Sequence[tf.Tensor],
    targets: Sequence[tf.Tensor],
    weights: Sequence[tf.Tensor],
    average_across_timesteps: bool = True,
    softmax_loss_function: SoftmaxLossFunction | None = None,
    name: str | None = None,
) -> tf.Tensor:
    """Weighted cross-entropy loss of each example, `[batch]`.

    Args:
      logits: list of T tensors `[batch, num_classes]` (or whatever
        `softmax_loss_function` takes, e.g. `[batch, hidden]` for sampled softmax).
      targets: list of T int tensors `[batch]`.
      weights: list of T float tensors `[batch]`.
      average_across_timesteps: divide each example's sum by its total weight
        (plus 1e-12).
      softmax_loss_function: `fn(labels=[batch], logits=...) -> [batch]` used instead
        of sparse softmax cross-entropy.
      name: name scope of the ops.

    Returns:
      `[batch]` tensor of log-perplexities.

    Raises:
      ValueError: `logits`, `weights` and `targets` have different lengths.
    """
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError(
            "Lengths of logits, weights, and targets must be the same: "
            f"{len(logits)}, {len(weights)}, {len(targets)}.")
    with tf.name_scope(name or "sequence_loss_by_example"):
        per_step = []
        for logit, target, weight in zip(logits, targets, weights):
            if softmax_loss_function is None:
                crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.reshape(target, [-1]), logits=logit)
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            per_step.append(crossent * weight)
        log_perps = tf.add_n(per_step)
        if average_across_timesteps:
            # The epsilon keeps all-zero weights from dividing by zero.
            total_size = tf.add_n(list(weights)) + 1e-12
            log_perps /= total_size
    return log_perps


def sequence_loss(
    logits: Sequence[tf.Tensor],
    targets: Sequence[tf.Tensor],
    weights: Sequence[tf.Tensor],
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    softmax_loss_function: SoftmaxLossFunction | None = None,
    name: str | None = None,
) -> tf.Tensor:
    """Weighted cross-entropy loss of a batch of sequences: a scalar.

    Args:
      logits, targets, weights, average_across_timesteps, softmax_loss_function:
        as in `sequence_loss_by_example`.
      average_across_batch: divide the sum over examples by the batch size.
      name: name scope of the ops.

    Returns:
      A scalar tensor.

    Raises:
      ValueError: `logits`, `weights` and `targets` have different lengths.
    """
    with tf.name_scope(name or "sequence_loss"):
        cost = tf.reduce_sum(sequence_loss_by_example(
            logits, targets, weights, average_across_timesteps=average_across_timesteps,
            softmax_loss_function=softmax_loss_function))
        if average_across_batch:
            batch_size = tf.shape(targets[0])[0]
            return cost / tf.cast(batch_size, cost.dtype)
        return cost
