"""Sequence losses: weighted cross-entropy summed over time steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf

__all__ = [
    "sequence_loss_by_example",
    "sequence_loss",
    "stacked_sequence_loss",
    "sampled_softmax_loss_per_step",
]

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


def stacked_sequence_loss(
    crossent: tf.Tensor,
    weights: tf.Tensor,
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    per_example: bool = False,
) -> tf.Tensor:
    """`sequence_loss` / `sequence_loss_by_example` from stacked per-step losses.

    Args:
      crossent: `[time, batch]` cross-entropy of every step (e.g. from
        `sampled_softmax_loss_per_step` or sparse softmax cross-entropy).
      weights: `[time, batch]` float weights.
      average_across_timesteps: divide each example's sum by its total weight (+1e-12).
      average_across_batch: divide the sum over examples by the batch size.
      per_example: return the `[batch]` losses (`sequence_loss_by_example`).

    Returns:
      A scalar, or `[batch]` if `per_example`.
    """
    log_perps = tf.reduce_sum(crossent * weights, 0)
    if average_across_timesteps:
        log_perps /= tf.reduce_sum(weights, 0) + 1e-12
    if per_example:
        return log_perps
    cost = tf.reduce_sum(log_perps)
    if average_across_batch:
        return cost / tf.cast(tf.shape(weights)[1], cost.dtype)
    return cost


def sampled_softmax_loss_per_step(
    weights: tf.Tensor,
    biases: tf.Tensor,
    labels: tf.Tensor,
    inputs: tf.Tensor,
    num_sampled: int,
    num_classes: int,
    sampled_values: tuple[tf.Tensor, tf.Tensor, tf.Tensor] | None = None,
    remove_accidental_hits: bool = True,
) -> tf.Tensor:
    """`tf.nn.sampled_softmax_loss` for every time step at once (one label per example).

    Equal to calling `tf.nn.sampled_softmax_loss(weights, biases, labels[t][:, None],
    inputs[t], num_sampled, num_classes, sampled_values=<step t's>)` for each step t,
    as the translate demo's loss does, but with batched matmuls and no per-step ops.
    Without `sampled_values`, each step draws its own `num_sampled` unique classes
    from the log-uniform (Zipfian) distribution, as separate calls would.

    Args:
      weights: `[num_classes, dim]` output embedding.
      biases: `[num_classes]`.
      labels: `[time, batch]` int target classes.
      inputs: `[time, batch, dim]` activations.
      num_sampled: number of classes sampled per step.
      num_classes: number of classes.
      sampled_values: optional `(sampled [time, num_sampled] int64,
        true_expected_count [time, batch, 1], sampled_expected_count [time, num_sampled])`.
      remove_accidental_hits: give sampled classes equal to the label no weight.

    Returns:
      `[time, batch]` losses.
    """
    labels = tf.cast(labels, tf.int64)
    if sampled_values is None:
        def draw(step_labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            return tuple(tf.random.log_uniform_candidate_sampler(
                true_classes=step_labels[:, None], num_true=1, num_sampled=num_sampled,
                unique=True, range_max=num_classes))

        sampled_values = tf.map_fn(
            draw, labels,
            fn_output_signature=(tf.TensorSpec([num_sampled], tf.int64),
                                 tf.TensorSpec([None, 1], tf.float32),
                                 tf.TensorSpec([num_sampled], tf.float32)))
    sampled, true_expected, sampled_expected = sampled_values
    sampled = tf.cast(sampled, tf.int64)
    true_logits = (tf.reduce_sum(inputs * tf.gather(weights, labels), -1)
                   + tf.gather(biases, labels))
    sampled_logits = (tf.matmul(inputs, tf.gather(weights, sampled), transpose_b=True)
                      + tf.gather(biases, sampled)[:, None, :])
    if remove_accidental_hits:
        hits = tf.equal(labels[:, :, None], sampled[:, None, :])
        sampled_logits += tf.where(hits, tf.cast(-sampled_logits.dtype.max, sampled_logits.dtype),
                                   tf.zeros([], sampled_logits.dtype))
    true_logits -= tf.math.log(tf.cast(true_expected[..., 0], true_logits.dtype))
    sampled_logits -= tf.math.log(tf.cast(sampled_expected, sampled_logits.dtype))[:, None, :]
    logits = tf.concat([true_logits[..., None], sampled_logits], -1)
    targets = tf.one_hot(tf.zeros_like(labels, tf.int32), tf.shape(logits)[-1],
                         dtype=logits.dtype)
    return tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
