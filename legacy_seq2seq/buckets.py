"""`model_with_buckets`: one model built for several (encoder, decoder) lengths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from legacy_seq2seq.loss import SoftmaxLossFunction, sequence_loss, sequence_loss_by_example

__all__ = ["model_with_buckets"]

_vs = tf.compat.v1


def model_with_buckets(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    targets: Sequence[tf.Tensor],
    weights: Sequence[tf.Tensor],
    buckets: Sequence[tuple[int, int]],
    seq2seq: Callable[[list[tf.Tensor], list[tf.Tensor]], tuple[list[tf.Tensor], Any]],
    softmax_loss_function: SoftmaxLossFunction | None = None,
    per_example_loss: bool = False,
    name: str | None = None,
) -> tuple[list[list[tf.Tensor]], list[tf.Tensor]]:
    """Builds `seq2seq` once per bucket on the first inputs of the lists, sharing variables.

    Bucket j runs `seq2seq(encoder_inputs[:e_j], decoder_inputs[:d_j])` in the
    caller's variable scope, reusing the variables of bucket 0.

    Args:
      encoder_inputs: list of at least `buckets[-1][0]` tensors `[batch]`.
      decoder_inputs: list of at least `buckets[-1][1]` tensors `[batch]`.
      targets: list of at least `buckets[-1][1]` int tensors `[batch]`.
      weights: list of at least `buckets[-1][1]` float tensors `[batch]`.
      buckets: list of `(encoder_length, decoder_length)` pairs, largest last.
      seq2seq: `fn(encoder_inputs, decoder_inputs) -> (outputs, state)`.
      softmax_loss_function: see `sequence_loss_by_example`.
      per_example_loss: losses are `[batch]` (`sequence_loss_by_example`) instead of
        scalars (`sequence_loss`).
      name: name scope of the ops.

    Returns:
      `(outputs, losses)`: per bucket, the list of `d_j` outputs and the loss.

    Raises:
      ValueError: an input list is shorter than the largest bucket needs.
    """
    largest_encoder = max(b[0] for b in buckets)
    largest_decoder = max(b[1] for b in buckets)
    for what, values, needed in (("encoder_inputs", encoder_inputs, largest_encoder),
                                 ("decoder_inputs", decoder_inputs, largest_decoder),
                                 ("targets", targets, largest_decoder),
                                 ("weights", weights, largest_decoder)):
        if len(values) < needed:
            raise ValueError(
                f"Length of {what} ({len(values)}) must be at least that of the largest "
                f"bucket ({needed}).")
    loss_fn = sequence_loss_by_example if per_example_loss else sequence_loss
    losses, outputs = [], []
    with tf.name_scope(name or "model_with_buckets"):
        for j, (encoder_length, decoder_length) in enumerate(buckets):
            with _vs.variable_scope(_vs.get_variable_scope(), reuse=True if j > 0 else None):
                bucket_outputs, _ = seq2seq(list(encoder_inputs[:encoder_length]),
                                            list(decoder_inputs[:decoder_length]))
                outputs.append(bucket_outputs)
                losses.append(loss_fn(bucket_outputs, list(targets[:decoder_length]),
                                      list(weights[:decoder_length]),
                                      softmax_loss_function=softmax_loss_function))
    return outputs, losses
