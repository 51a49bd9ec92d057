"""The attention read of `attention_decoder`: the original additive score and Luong's.

One home for the attention read, so that the decoder, beam search, attention
plots and attention pooling all use the same arithmetic and the same variables.

`score="additive"` is the original (Bahdanau-style) read, with TF 1.15's variables:

* `AttnW_<a> [1, 1, attn_size, attn_size]` and `AttnV_<a> [attn_size]` in the
  current scope (the kernel keeps TF 1.15's 1x1-convolution shape, so
  checkpoints match; it is applied as the equivalent matmul);
* `Attention_<a>/kernel [query_size, attn_size]`, `Attention_<a>/bias` for the query.

score[b, l] = sum_d V[d] * tanh(W_h h[b, l] + W_q q[b] + b_q)[d]; the softmax over l
is taken in float32 (as TF 1.15 does, also for float16/float64 models).

The opt-in Luong et al. (2015) scores have their own variables, per head `a`:

* "luong_dot": score = h[b, l] . q[b]; no variables. The query's size (the flattened
  decoder state) must equal attn_size, e.g. one GRU layer as large as the encoder.
* "luong_general": score = h[b, l] . (q[b] @ W); `LuongGeneral_<a>/kernel
  [query_size, attn_size]`.
* "luong_concat": score = v . tanh(W [q; h]), with W split into
  `LuongConcat_<a>/query_kernel [query_size, attn_size]` and
  `LuongConcat_<a>/keys_kernel [attn_size, attn_size]` (so the keys are computed once),
  and `LuongConcat_<a>/v [attn_size]`. It is the additive form without a bias.

Each score is one small class (its variables, its query map, its formula)
registered under its `score=` string in one table, `_SCORES`; `ATTENTION_SCORES`
lists the table's names.
"""

from __future__ import annotations

import copy
from typing import Any

import tensorflow as tf

from legacy_seq2seq._checks import check_attention_arguments, dim_value, static_dim
from legacy_seq2seq.linear import Linear, LoopKernel, linear_variables
from legacy_seq2seq.template import get_variable

__all__ = ["ATTENTION_SCORES", "LegacyAttention", "attention_pool"]

_vs = tf.compat.v1

@tf.custom_gradient
def _tf1_softmax(logits: tf.Tensor) -> tuple[tf.Tensor, Any]:
    """Softmax over the last axis with TF 1.15's kernel arithmetic and gradient.

    `tf.nn.softmax` of TF 2 can differ from TF 1.15's by one float32 ulp; a float64
    model (whose attention softmax is float32, as in TF 1.15) would carry that into
    its outputs. exp(x - max) * (1 / sum) is the arithmetic of TF 1.15's kernel.
    """
    shifted = tf.exp(logits - tf.reduce_max(logits, -1, keepdims=True))
    probs = shifted * tf.math.reciprocal(tf.reduce_sum(shifted, -1, keepdims=True))

    def grad(upstream: tf.Tensor) -> tf.Tensor:
        return (upstream - tf.reduce_sum(upstream * probs, -1, keepdims=True)) * probs

    return probs, grad


class _Score:
    """One attention score: its variables (per head `a`) and its formula.

    A subclass names itself in `name` and is registered in `_SCORES` with
    `@_registered`; `LegacyAttention` looks it up by its `score=` string.
    """

    name = ""

    def make_keys(self, states: tf.Tensor, head: int, attn_size: int,
                  dtype: tf.DType) -> tuple[tf.Tensor | None, tf.Variable | None]:
        """Gets or creates the state-side variables: `(keys [batch, length, attn_size], v)`."""
        return None, None

    def query_kernel(self, head: int, query_size: int, attn_size: int, query_dtype: tf.DType,
                     dtype: tf.DType) -> tuple[tf.Tensor, tf.Tensor | None] | None:
        """Gets the query map's `(kernel, bias or None)` (None: the score has no query map)."""
        return None

    def project(self, head: int, query: tf.Tensor, attn_size: int,
                dtype: tf.DType) -> tf.Tensor:
        """The query through the head's query map (creating it): `[batch, attn_size]`."""
        raise NotImplementedError

    def scores(self, states: tf.Tensor, keys: tf.Tensor | None, v: tf.Tensor | None,
               projected: tf.Tensor) -> tf.Tensor:
        """Unnormalized scores `[batch, attn_length]` from the projected query."""
        raise NotImplementedError


_SCORES: dict[str, _Score] = {}


def _registered(cls: type[_Score]) -> type[_Score]:
    _SCORES[cls.name] = cls()
    return cls


def _dot_scores(states: tf.Tensor, projected: tf.Tensor) -> tf.Tensor:
    return tf.einsum("bld,bd->bl", states, projected)


def _tanh_scores(keys: tf.Tensor, v: tf.Tensor, projected: tf.Tensor) -> tf.Tensor:
    # expand_dims, not [:, None, :]: its gradient is a reshape, not a strided copy; the
    # sum over the attention size against v is a matmul.
    return tf.einsum("ble,e->bl", tf.tanh(keys + tf.expand_dims(projected, 1)), v)


def _plain_kernel(scope: str, name: str, query_size: int, attn_size: int,
                  dtype: tf.DType) -> tf.Tensor:
    with _vs.variable_scope(scope):
        return get_variable(name, [query_size, attn_size], dtype=dtype)


@_registered
class _Additive(_Score):
    """The original: `AttnW_<a>`, `AttnV_<a>` and the query's `Attention_<a>` linear map."""

    name = "additive"

    def make_keys(self, states, head, attn_size, dtype):
        kernel = get_variable(f"AttnW_{head}", [1, 1, attn_size, attn_size], dtype=dtype)
        keys = tf.einsum("bld,de->ble", states, kernel[0, 0])
        return keys, get_variable(f"AttnV_{head}", [attn_size], dtype=dtype)

    def query_kernel(self, head, query_size, attn_size, query_dtype, dtype):
        with _vs.variable_scope(f"Attention_{head}"):
            return linear_variables(query_size, attn_size, query_dtype)

    def project(self, head, query, attn_size, dtype):
        with _vs.variable_scope(f"Attention_{head}"):
            return tf.cast(Linear(query, attn_size, True)(query), dtype)

    def scores(self, states, keys, v, projected):
        return _tanh_scores(keys, v, projected)


@_registered
class _LuongDot(_Score):
    """Luong's dot score: no variables; the query's size must be attn_size."""

    name = "luong_dot"

    def project(self, head, query, attn_size, dtype):
        query_size = static_dim(query, 1, "the attention query")
        if query_size != attn_size:
            raise ValueError(
                f"attention_score='luong_dot' needs the query (the decoder state, "
                f"flattened) to have the attention size {attn_size}, but it has "
                f"size {query_size}; use 'luong_general', which learns the map between "
                "the two.")
        return tf.cast(query, dtype)

    def scores(self, states, keys, v, projected):
        return _dot_scores(states, projected)


@_registered
class _LuongGeneral(_LuongDot):
    """Luong's general score: `LuongGeneral_<a>/kernel` maps the query."""

    name = "luong_general"
    _scope, _kernel = "LuongGeneral", "kernel"

    def query_kernel(self, head, query_size, attn_size, query_dtype, dtype):
        return _plain_kernel(f"{self._scope}_{head}", self._kernel, query_size, attn_size,
                             dtype), None

    def project(self, head, query, attn_size, dtype):
        kernel = _plain_kernel(f"{self._scope}_{head}", self._kernel,
                               static_dim(query, 1, "the attention query"), attn_size, dtype)
        return tf.matmul(tf.cast(query, dtype), kernel)


@_registered
class _LuongConcat(_LuongGeneral):
    """Luong's concat score: `LuongConcat_<a>/{keys_kernel, query_kernel, v}`, no bias."""

    name = "luong_concat"
    _scope, _kernel = "LuongConcat", "query_kernel"

    def make_keys(self, states, head, attn_size, dtype):
        with _vs.variable_scope(f"{self._scope}_{head}"):
            kernel = get_variable("keys_kernel", [attn_size, attn_size], dtype=dtype)
            keys = tf.einsum("bld,de->ble", states, kernel)
            return keys, get_variable("v", [attn_size], dtype=dtype)

    def scores(self, states, keys, v, projected):
        return _tanh_scores(keys, v, projected)


ATTENTION_SCORES = tuple(_SCORES)


class LegacyAttention:
    """Attention over `attention_states` `[batch, attn_length, attn_size]`.

    Constructing it gets or creates the score's state-side variables (for the
    default score, `AttnW_<a>` and `AttnV_<a>`) in the current variable scope and
    precomputes the keys once for all decoder steps. The query-side variables are
    made on the first call, when the query's size is known.

    Args:
      attention_states: `[batch, attn_length, attn_size]`, attn_size known statically.
      num_heads: number of attention heads (>= 1).
      dtype: dtype of the attention variables and reads.
      score: one of `ATTENTION_SCORES` (default "additive", the original).
      attention_lengths: optional int `[batch]`: only the first `attention_lengths[b]`
        states of row b are attended to (the others get weight 0). None (the
        original) attends to all states.
      attention_mask: optional bool `[batch, attn_length]` (e.g. a Keras mask): only
        the True states are attended to; an alternative to `attention_lengths`.

    Raises:
      ValueError: unknown `attn_size`, `num_heads` < 1, an unknown `score`, or both
        `attention_lengths` and `attention_mask`.
    """

    def __init__(
        self,
        attention_states: tf.Tensor,
        num_heads: int,
        dtype: tf.DType,
        score: str = "additive",
        attention_lengths: tf.Tensor | None = None,
        attention_mask: tf.Tensor | None = None,
    ):
        check_attention_arguments(num_heads, attention_states)
        if attention_lengths is not None and attention_mask is not None:
            raise ValueError("Give attention_lengths or attention_mask, not both.")
        if score not in _SCORES:
            raise ValueError(
                f"Unknown attention score {score!r}; expected one of {ATTENTION_SCORES}.")
        self.num_heads = num_heads
        self.dtype = dtype
        self.score = score
        self._score = _SCORES[score]
        self.attn_size = static_dim(attention_states, 2, "attention_states")
        self.attn_length = dim_value(attention_states, 1)
        self.states = attention_states
        self.mask = None
        if attention_lengths is not None:
            self.mask = tf.sequence_mask(attention_lengths, tf.shape(attention_states)[1])
        if attention_mask is not None:
            self.mask = tf.cast(attention_mask, tf.bool)
        self.keys: list[tf.Tensor | None] = []
        self.v: list[tf.Variable | None] = []
        # Set by `for_loop`: per head, (kernel, bias or None) of the query's map.
        self._loop_query_maps: list[tuple[LoopKernel, tf.Tensor | None] | None] | None = None
        for a in range(num_heads):
            keys, v = self._score.make_keys(attention_states, a, self.attn_size, dtype)
            self.keys.append(keys)
            self.v.append(v)

    def for_loop(self, query_size: int, query_dtype: tf.DType) -> LegacyAttention:
        """This attention, with its query maps' kernels made ready for a loop's steps.

        Call it in the scope the attention was built in, outside the loop and after a
        first call (which made the query-side variables); the returned attention reads
        the same values, and its gradient is faster (see `LoopKernel`).

        Args:
          query_size: the size of the (flattened) query.
          query_dtype: the dtype of the query.

        Returns:
          A `LegacyAttention` sharing this one's keys and variables.
        """
        maps = []
        with _vs.variable_scope(_vs.get_variable_scope(), reuse=True):
            for head in range(self.num_heads):
                found = self._score.query_kernel(head, query_size, self.attn_size,
                                                 query_dtype, self.dtype)
                maps.append(None if found is None else (LoopKernel(found[0]), found[1]))
        prepared = copy.copy(self)
        prepared._loop_query_maps = maps
        return prepared

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

        Raises:
          ValueError: a query part is not 2-D, or (for "luong_dot") the query's size
            is not attn_size.
        """
        parts = tf.nest.flatten(query)
        for part in parts:
            if part.shape.rank not in (None, 2):
                raise ValueError(f"attention query parts must be 2-D, got shape {part.shape}")
        query = parts[0] if len(parts) == 1 else tf.concat(parts, 1)
        reads, weights = [], []
        for a in range(self.num_heads):
            scores = self._score.scores(self.states, self.keys[a], self.v[a],
                                        self._project_query(a, query))
            if self.mask is not None:
                scores = tf.where(self.mask, scores, tf.fill(tf.shape(scores), scores.dtype.min))
            weight = tf.cast(_tf1_softmax(tf.cast(scores, tf.float32)), self.dtype)
            # sum_l weight[b, l] * states[b, l, :] as a batched matmul: fewer, faster ops
            # (and gradient ops) than a broadcast product and a sum.
            read = tf.squeeze(tf.matmul(tf.expand_dims(weight, 1), self.states), 1)
            reads.append(tf.reshape(read, [-1, self.attn_size]))
            weights.append(weight)
        return reads, weights

    def _project_query(self, head: int, query: tf.Tensor) -> tf.Tensor:
        """The query through the head's query map: `[batch, attn_size]` of `self.dtype`."""
        loop_map = self._loop_query_maps[head] if self._loop_query_maps is not None else None
        if loop_map is None:
            return self._score.project(head, query, self.attn_size, self.dtype)
        kernel, bias = loop_map
        if bias is None:
            return kernel(tf.cast(query, self.dtype))
        return tf.cast(tf.nn.bias_add(kernel(query), bias), self.dtype)


def attention_pool(
    states: tf.Tensor,
    query: Any,
    score: str = "additive",
    lengths: tf.Tensor | None = None,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    mask: tf.Tensor | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Many-to-one attention pooling: one weighted average of `states` per row.

    Uses the same read as `attention_decoder` (one head), so a classifier or
    sentence encoder can pool encoder outputs with any of `ATTENTION_SCORES`.

    Args:
      states: `[batch, length, depth]` (e.g. stacked encoder outputs); depth static.
      query: `[batch, query_size]` or a nested tuple of such, e.g. the encoder's final
        state (for "luong_dot", query_size must equal depth).
      score: one of `ATTENTION_SCORES`.
      lengths: optional int `[batch]` (each >= 1): positions past a row's length get
        weight 0. None attends to every position.
      dtype: dtype of the variables (default: the scope's, float32).
      scope: variable scope, default "attention_pool".
      mask: optional bool `[batch, length]`, an alternative to `lengths`: positions
        that are False get weight 0 (each row needs one True).

    Returns:
      `(pooled [batch, depth], weights [batch, length])`; each row of `weights` sums to 1.

    Raises:
      ValueError: as `LegacyAttention`.
    """
    with _vs.variable_scope(scope or "attention_pool", dtype=dtype) as varscope:
        attention = LegacyAttention(states, 1, varscope.dtype, score=score,
                                    attention_lengths=lengths, attention_mask=mask)
        reads, weights = attention(query)
    return reads[0], weights[0]
