"""The additive multi-head attention of the original `attention_decoder`.

One home for the attention read, so that the decoder, beam search and attention
plots all use the same arithmetic and the same variables:

* `AttnW_<a> [1, 1, attn_size, attn_size]` and `AttnV_<a> [attn_size]` in the
  decoder's scope (the kernel keeps TF 1.15's 1x1-convolution shape, so
  checkpoints match; it is applied as the equivalent matmul);
* `Attention_<a>/kernel [query_size, attn_size]`, `Attention_<a>/bias` for the query.

score[b, l] = sum_d V[d] * tanh(W_h h[b, l] + W_q q[b])[d]; the softmax over l is
taken in float32 (as TF 1.15 does, also for float16/float64 models).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import static_dim
from legacy_seq2seq.linear import Linear
from legacy_seq2seq.template import get_variable

__all__ = ["LegacyAttention"]

_vs = tf.compat.v1


class LegacyAttention:
    """Attention over `attention_states` `[batch, attn_length, attn_size]`.

    Constructing it gets or creates `AttnW_<a>` and `AttnV_<a>` in the current
    variable scope and precomputes the keys `W_h h` once for all decoder steps.

    Args:
      attention_states: `[batch, attn_length, attn_size]`, attn_size known statically.
      num_heads: number of attention heads (>= 1).
      dtype: dtype of the attention variables and reads.

    Raises:
      ValueError: unknown `attn_size`, or `num_heads` < 1.
    """

    def __init__(self, attention_states: tf.Tensor, num_heads: int, dtype: tf.DType):
        if num_heads < 1:
            raise ValueError(
                f"num_heads must be at least 1 (got {num_heads}); with no heads, use a "
                "non-attention decoder.")
        if attention_states.shape.rank != 3 or attention_states.shape[2] is None:
            raise ValueError(
                "Shape[2] of attention_states must be known: "
                f"{attention_states.shape}")
        self.num_heads = num_heads
        self.dtype = dtype
        self.attn_size = static_dim(attention_states, 2, "attention_states")
        self.attn_length = attention_states.shape[1]
        self.states = attention_states
        self.keys = []
        self.v = []
        for a in range(num_heads):
            kernel = get_variable(
                f"AttnW_{a}", [1, 1, self.attn_size, self.attn_size], dtype=dtype)
            self.keys.append(tf.einsum("bld,de->ble", attention_states, kernel[0, 0]))
            self.v.append(get_variable(f"AttnV_{a}", [self.attn_size], dtype=dtype))

    def zero_reads(self, batch_size: Any) -> list[tf.Tensor]:
        """Zero reads `[batch, attn_size]`, one per head (before the first real read)."""
        shape = (tf.stack([batch_size, self.attn_size]) if tf.is_tensor(batch_size)
                 else [batch_size, self.attn_size])
        reads = []
        for _ in range(self.num_heads):
            read = tf.zeros(shape, dtype=self.dtype)
            read.set_shape([None, self.attn_size])
            reads.append(read)
        return reads

    def __call__(self, query: Any) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        """Reads the attention states for `query`.

        Args:
          query: `[batch, q]` or a (nested) tuple of such (e.g. a multi-layer
            state), concatenated along axis 1.

        Returns:
          `(reads, weights)`: per head, the read `[batch, attn_size]` and the
          attention weights `[batch, attn_length]` (float32 softmax cast to `dtype`).
        """
        parts = tf.nest.flatten(query)
        for part in parts:
            if part.shape.rank not in (None, 2):
                raise ValueError(f"attention query parts must be 2-D, got shape {part.shape}")
        query = parts[0] if len(parts) == 1 else tf.concat(parts, 1)
        reads, weights = [], []
        for a in range(self.num_heads):
            with _vs.variable_scope(f"Attention_{a}"):
                y = Linear(query, self.attn_size, True)(query)
                y = tf.cast(y, self.dtype)
                scores = tf.reduce_sum(self.v[a] * tf.tanh(self.keys[a] + y[:, None, :]), 2)
                weight = tf.cast(tf.nn.softmax(tf.cast(scores, tf.float32)), self.dtype)
                read = tf.reduce_sum(weight[:, :, None] * self.states, 1)
                reads.append(tf.reshape(read, [-1, self.attn_size]))
                weights.append(weight)
        return reads, weights
