"""Keras 3 layers (TensorFlow backend) over the legacy attention model.

The layers run the library's own functions, so they compute the same numbers
and make the same variables, with TF 1.15's names, as the function API:

* `AttentionDecoder`: `attention_decoder` (run by `loop_attention_decoder`) as a
  layer: decoder inputs and encoder states in; outputs, the final state and,
  opt-in, the attention weights out.
* `AttentionPooling`: `attention_pool`, many-to-one attention over a sequence.
* `EmbeddingAttentionSeq2Seq`: `embedding_attention_seq2seq` (run by
  `loop_embedding_attention_seq2seq`) as a `keras.Model`, with `greedy_decode`
  and `beam_search` (`embedding_attention_greedy_decode`/`_beam_search`).

Each layer holds its variables as Keras variables (trained by `fit`, saved in
`.keras` files) and knows each one's TF 1.x name: `load_tf1_checkpoint(path)`
restores a TF 1.x checkpoint by name, `weights_by_name` and
`set_weights_by_name(template_or_dict)` move weights to and from a `Template`.
Tensors are batch-major, as in Keras (`[batch, time, ...]`). The cell is given
by its configuration (`cell_type`, `num_units`, `num_layers`, `cell_options`) so
that `get_config` can rebuild it. Under a mixed precision policy the variables
stay in the variable dtype and the model computes in the compute dtype.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from legacy_seq2seq import rnn_cell
from legacy_seq2seq.attention import ATTENTION_SCORES, attention_pool
from legacy_seq2seq.beam_search import (
    EOS_ID,
    GO_ID,
    DecodeResult,
    embedding_attention_beam_search,
    embedding_attention_greedy_decode,
)
from legacy_seq2seq.dynamic import loop_attention_decoder, loop_embedding_attention_seq2seq
from legacy_seq2seq.template import Template

__all__ = ["AttentionDecoder", "AttentionPooling", "EmbeddingAttentionSeq2Seq", "make_cell"]

_CELL_TYPES = {
    "GRUCell": rnn_cell.GRUCell,
    "BasicLSTMCell": rnn_cell.BasicLSTMCell,
    "LSTMCell": rnn_cell.LSTMCell,
    "BasicRNNCell": rnn_cell.BasicRNNCell,
}


def make_cell(cell_type: str, num_units: int, num_layers: int = 1,
              cell_options: Mapping[str, Any] | None = None) -> rnn_cell.RNNCell:
    """A fresh `rnn_cell` cell from a serializable configuration.

    Args:
      cell_type: one of "GRUCell", "BasicLSTMCell", "LSTMCell", "BasicRNNCell".
      num_units: units of each layer.
      num_layers: > 1 stacks the layers in a `MultiRNNCell` (tuple states).
      cell_options: extra keyword arguments of the cell (e.g. `forget_bias`).

    Returns:
      The cell (unbuilt).

    Raises:
      ValueError: an unknown `cell_type` or `num_layers` < 1.
    """
    if cell_type not in _CELL_TYPES:
        raise ValueError(f"Unknown cell_type {cell_type!r}; expected one of {sorted(_CELL_TYPES)}.")
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}.")
    options = dict(cell_options or {})
    layers = [_CELL_TYPES[cell_type](num_units, **options) for _ in range(num_layers)]
    return layers[0] if num_layers == 1 else rnn_cell.MultiRNNCell(layers)


class _LayerTemplate(Template):
    """A `Template` whose variables are its Keras layer's weights.

    A variable first requested during the layer's `build` becomes a Keras weight
    (initialized as the library initializes it); later requests read the weight
    (as Keras does: cast to the compute dtype under a mixed precision policy).
    """

    def __init__(self, fn: Any, layer: keras.layers.Layer):
        super().__init__(fn, name=f"{layer.name}_template")
        # A weak reference: tf.Module would track the layer itself (a cycle).
        self._layer_ref = weakref.ref(layer)
        self._weights: dict[str, keras.Variable] = {}
        self.creating = False

    @property
    def variables_by_name(self) -> dict[str, tf.Variable]:
        self._sync()
        return super().variables_by_name

    def load_tf1_checkpoint(self, path: str, **kwargs: Any) -> list[str]:
        self._sync()
        return super().load_tf1_checkpoint(path, **kwargs)

    def _sync(self) -> None:
        """Points the Template's variables at the weights' `tf.Variable`s.

        Keras makes the variable of a weight created while it traces a model
        symbolically (e.g. `fit` of an unbuilt subclassed model) only afterwards.
        """
        for name, weight in self._weights.items():
            variable = weight.value
            if not isinstance(variable, tf.Variable):
                raise RuntimeError(f"The weight {name!r} has no value yet: call the layer once.")
            self._owned[name] = variable

    def _getter(self, getter: Any, name: str, *args: Any, **kwargs: Any):
        layer = self._layer_ref()
        requested = kwargs.get("dtype")
        requested = tf.as_dtype(requested).base_dtype if requested is not None else None
        floating = requested is None or requested.is_floating
        if name not in self._weights:
            if not self.creating:
                raise RuntimeError(
                    f"Layer {layer.name!r} requested the new variable {name!r} after it was "
                    "built: the layer's configuration changed, or its inputs have other sizes "
                    "than those it was built with. Make a new layer.")
            if floating:
                kwargs["dtype"] = tf.as_dtype(layer.variable_dtype)
            with tf.init_scope():
                made = getter(name, *args, **kwargs)
                initial = tf.convert_to_tensor(made)
            self._weights[name] = layer.add_weight(
                name=name.replace("/", "."), shape=tuple(made.shape), dtype=made.dtype,
                initializer=lambda shape, dtype=None: initial, trainable=made.trainable)
            self._owned[name] = made  # replaced by the weight's variable in `_sync`
        weight = self._weights[name]
        shape = kwargs.get("shape")
        if shape is not None and not tf.TensorShape(shape).is_compatible_with(weight.shape):
            raise ValueError(
                f"Variable '{name}' exists with shape {list(weight.shape)} but is now requested "
                f"with shape {tf.TensorShape(shape).as_list()}: the layer was called with "
                "inputs of other sizes than those it was built with.")
        value = weight.value
        if floating and requested is not None and requested != value.dtype.base_dtype:
            return tf.cast(value, requested)
        return value


class _TF1Weights:
    """The TF 1.x-name side of a Keras layer whose forward pass is `self._tf1`."""

    _tf1: _LayerTemplate

    # The constructor arguments that `get_config` returns (each is an attribute).
    _CONFIG_KEYS: tuple[str, ...] = ()

    def _init_tf1(self, fn: Any, arguments: Mapping[str, Any]) -> None:
        """Keeps the constructor's `arguments` (its `_CONFIG_KEYS`) as attributes."""
        for key in self._CONFIG_KEYS:
            setattr(self, key, arguments[key])
        if "cell_options" in self._CONFIG_KEYS:
            self.cell_options = dict(self.cell_options or {})
        self.supports_masking = True
        self._tf1 = _LayerTemplate(fn, self)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({key: getattr(self, key) for key in self._CONFIG_KEYS})
        return config

    def _create_tf1_variables(self, dummy_args: Any) -> None:
        """Runs the forward pass once on `dummy_args()`, eagerly, making every variable.

        `build` may run inside a `tf.function` (e.g. `fit` of an unbuilt model): the
        dummy inputs are made under the same `init_scope` as the variables.
        """
        self._tf1.creating = True
        try:
            with tf.init_scope():
                self._tf1(*dummy_args())
        finally:
            self._tf1.creating = False

    @property
    def weights_by_name(self) -> dict[str, tf.Variable]:
        """TF 1.x name (without ":0") -> the weight's `tf.Variable`, in creation order."""
        return self._tf1.variables_by_name

    def load_tf1_checkpoint(self, path: str, *, allow_missing: bool = False,
                            allow_unexpected: bool = False) -> list[str]:
        """Restores the weights from a TF 1.x checkpoint by name (see `Template`).

        Args:
          path: a checkpoint prefix or a directory with a `checkpoint` file.
          allow_missing: do not fail on weights the checkpoint lacks.
          allow_unexpected: do not fail on checkpoint entries without a weight
            (e.g. the global step and learning rate of the translate demo).

        Returns:
          The sorted TF 1.x names of the weights assigned.

        Raises:
          ValueError: the layer is not built yet.
          TF1CheckpointMismatchError: the checkpoint does not fit (one error listing
            every difference).
        """
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built: call it on a batch (or build "
                             "it) before loading a checkpoint.")
        return self._tf1.load_tf1_checkpoint(
            path, allow_missing=allow_missing, allow_unexpected=allow_unexpected)

    def set_weights_by_name(self, source: Template | Mapping[str, Any]) -> None:
        """Assigns every weight from a `Template` (or a name -> value mapping) of the model.

        Args:
          source: a `Template` that ran the same function API model, or a mapping
            from TF 1.x names to values.

        Raises:
          ValueError: the layer is not built, or names or shapes differ.
        """
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built: call it once first.")
        values = source.variables_by_name if isinstance(source, Template) else dict(source)
        ours = self.weights_by_name
        if set(values) != set(ours):
            raise ValueError(
                f"Weights do not match by name: missing {sorted(set(ours) - set(values))}, "
                f"unexpected {sorted(set(values) - set(ours))}.")
        for name, variable in ours.items():
            value = tf.convert_to_tensor(values[name])
            if value.shape != variable.shape:
                raise ValueError(f"{name}: shape {value.shape.as_list()}, "
                                 f"expected {variable.shape.as_list()}.")
            variable.assign(tf.cast(value, variable.dtype))


def _check_score(attention_score: str) -> None:
    if attention_score not in ATTENTION_SCORES:
        raise ValueError(f"Unknown attention_score {attention_score!r}; expected one of "
                         f"{ATTENTION_SCORES}.")


@keras.saving.register_keras_serializable(package="legacy_seq2seq")
class AttentionDecoder(_TF1Weights, keras.layers.Layer):
    """The legacy attention decoder (`attention_decoder`) as a Keras layer.

    Call it on `[decoder_inputs, attention_states]`:

    * decoder_inputs: `[batch, time, input_size]` (e.g. embedded target tokens);
    * attention_states: `[batch, attn_length, attn_size]` (e.g. encoder outputs);
    * initial_state (keyword): the cell state as a list of `[batch, n]` tensors
      (flattened `cell.state_size`, e.g. `[c, h]` for an LSTM); zeros if omitted.

    It returns `(outputs [batch, time, output_size], state)` with `state` a list
    like `initial_state`, plus the attention weights `[batch, time, num_heads,
    attn_length]` when `return_attention_weights`. A Keras mask on the decoder
    inputs passes to the outputs (losses and metrics skip padded steps); the
    decoder still runs every step, as the original does. A mask on the attention
    states gives padded positions zero attention weight.

    Variables are those of `attention_decoder` in scope `scope`, with TF 1.15's
    names (`<scope>/AttnW_0`, `<scope>/Attention_0/kernel`, ...).

    Args:
      num_units: units of each cell layer.
      cell_type: "GRUCell", "BasicLSTMCell", "LSTMCell" or "BasicRNNCell".
      num_layers: cell layers (> 1: a `MultiRNNCell`).
      cell_options: extra keyword arguments of the cell (e.g. `forget_bias`).
      output_size: size of the outputs (default: the cell's output size).
      num_heads: attention heads (the 1x1-convolution features, one per head).
      attention_score: one of `ATTENTION_SCORES` ("additive", the original, or
        a Luong score).
      feed_previous: feed each step's output as the next step's input (input
        feeding; the output size must equal the input size).
      initial_state_attention: as in `attention_decoder`.
      return_attention_weights: also return the attention weights.
      scope: the variable scope (default "attention_decoder", the original's).
      **kwargs: `keras.layers.Layer` arguments (name, dtype, ...).
    """

    _CONFIG_KEYS = ("num_units", "cell_type", "num_layers", "cell_options", "output_size",
                    "num_heads", "attention_score", "feed_previous", "initial_state_attention",
                    "return_attention_weights", "scope")

    def __init__(self, num_units: int, cell_type: str = "GRUCell", num_layers: int = 1,
                 cell_options: Mapping[str, Any] | None = None, output_size: int | None = None,
                 num_heads: int = 1, attention_score: str = "additive",
                 feed_previous: bool = False, initial_state_attention: bool = False,
                 return_attention_weights: bool = False, scope: str = "attention_decoder",
                 **kwargs: Any):
        super().__init__(**kwargs)
        _check_score(attention_score)
        make_cell(cell_type, num_units, num_layers, cell_options)  # checks the configuration
        self._init_tf1(self._decode, locals())

    def _cell(self) -> rnn_cell.RNNCell:
        # A fresh cell per call: it then asks the Template for its variables each time.
        return make_cell(self.cell_type, self.num_units, self.num_layers, self.cell_options)

    def _state_size(self) -> int:
        return len(tf.nest.flatten(self._cell().state_size))

    def build(self, inputs_shape: Any, initial_state_shape: Any = None) -> None:
        decoder_shape, states_shape = inputs_shape
        dtype = self.compute_dtype
        self._create_tf1_variables(lambda: (tf.zeros([1, 1, decoder_shape[-1]], dtype),
                                            tf.zeros([1, 1, states_shape[-1]], dtype),
                                            None, None))
        self.built = True

    def _decode(self, decoder_inputs: tf.Tensor, attention_states: tf.Tensor,
                initial_state: Any, attention_mask: tf.Tensor | None) -> tuple[Any, ...]:
        cell = self._cell()
        dtype = tf.as_dtype(self.compute_dtype)
        if initial_state is None:
            state = cell.zero_state(tf.shape(decoder_inputs)[0], dtype)
        else:
            state = tf.nest.pack_sequence_as(cell.state_size, tf.nest.flatten(initial_state))
        loop_function = (lambda prev, _: prev) if self.feed_previous else None
        outputs, state, weights = loop_attention_decoder(
            tf.transpose(decoder_inputs, [1, 0, 2]), state, attention_states, cell,
            output_size=self.output_size, num_heads=self.num_heads,
            loop_function=loop_function, dtype=dtype, scope=self.scope,
            initial_state_attention=self.initial_state_attention,
            return_attention_weights=True, attention_score=self.attention_score,
            attention_mask=attention_mask)
        return (tf.transpose(outputs, [1, 0, 2]), tf.nest.flatten(state),
                tf.transpose(weights, [2, 0, 1, 3]))

    def call(self, inputs: Any, initial_state: Any = None, mask: Any = None) -> Any:
        decoder_inputs, attention_states = inputs
        attention_mask = mask[1] if isinstance(mask, (list, tuple)) else None
        outputs, state, weights = self._tf1(decoder_inputs, attention_states, initial_state,
                                            attention_mask)
        if self.return_attention_weights:
            return outputs, state, weights
        return outputs, state

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        decoder_mask = mask[0] if isinstance(mask, (list, tuple)) else None
        state_masks = [None] * self._state_size()
        if self.return_attention_weights:
            return decoder_mask, state_masks, None
        return decoder_mask, state_masks



@keras.saving.register_keras_serializable(package="legacy_seq2seq")
class AttentionPooling(_TF1Weights, keras.layers.Layer):
    """Many-to-one attention (`attention_pool`): one weighted average of a sequence per row.

    Call it on `[states, query]`: states `[batch, length, depth]`, query
    `[batch, query_size]` (e.g. an encoder's final state; for "luong_dot" its size
    must be depth). Returns `pooled [batch, depth]`, plus the weights `[batch,
    length]` when `return_attention_weights`. A Keras mask on the states gives
    padded positions zero weight (the classic attention layer of classifiers).

    Args:
      attention_score: one of `ATTENTION_SCORES`.
      return_attention_weights: also return the weights.
      scope: the variable scope (default "attention_pool").
      **kwargs: `keras.layers.Layer` arguments.
    """

    _CONFIG_KEYS = ("attention_score", "return_attention_weights", "scope")

    def __init__(self, attention_score: str = "additive", return_attention_weights: bool = False,
                 scope: str = "attention_pool", **kwargs: Any):
        super().__init__(**kwargs)
        _check_score(attention_score)
        self._init_tf1(self._pool, locals())

    def build(self, inputs_shape: Any) -> None:
        states_shape, query_shape = inputs_shape
        dtype = self.compute_dtype
        self._create_tf1_variables(lambda: (tf.zeros([1, 1, states_shape[-1]], dtype),
                                            tf.zeros([1, query_shape[-1]], dtype), None))
        self.built = True

    def _pool(self, states: tf.Tensor, query: tf.Tensor,
              mask: tf.Tensor | None) -> tuple[tf.Tensor, tf.Tensor]:
        return attention_pool(states, query, score=self.attention_score, mask=mask,
                              dtype=tf.as_dtype(self.compute_dtype), scope=self.scope)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        states, query = inputs
        states_mask = mask[0] if isinstance(mask, (list, tuple)) else None
        pooled, weights = self._tf1(states, query, states_mask)
        if self.return_attention_weights:
            return pooled, weights
        return pooled

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return (None, None) if self.return_attention_weights else None



@keras.saving.register_keras_serializable(package="legacy_seq2seq")
class EmbeddingAttentionSeq2Seq(_TF1Weights, keras.Model):
    """`embedding_attention_seq2seq` (the translate demo's model) as a `keras.Model`.

    `model([encoder_inputs, decoder_inputs])` with int ids `[batch, encoder_time]`
    and `[batch, decoder_time]` returns the logits `[batch, decoder_time,
    num_decoder_symbols]` of teacher-forced decoding (the original's training
    graph). With `output_projection=True` the decoder cell is not wrapped and the
    logits are `outputs @ proj_w^T + proj_b`, with the translate demo's root-scope
    variables `proj_w [num_decoder_symbols, cell output size]` and `proj_b`. A mask on the
    decoder inputs (e.g. from ids equal to `mask_id`) passes to the logits, so
    `compile`d losses skip padding.

    `greedy_decode` and `beam_search` decode with the same weights.

    Args:
      num_encoder_symbols, num_decoder_symbols: vocabulary sizes.
      embedding_size: size of the embeddings.
      num_units, cell_type, num_layers, cell_options: the cell (see `make_cell`).
      num_heads: attention heads.
      output_projection: create `proj_w`/`proj_b` (see above) instead of an
        `OutputProjectionWrapper`.
      initial_state_attention, attention_score: as in `embedding_attention_seq2seq`.
      feed_previous: `call` feeds back each step's argmax instead of the decoder
        inputs after the first (the original's decoding graph); default teacher forcing.
      mask_id: None, or the id of padding in the decoder inputs (e.g. 0, the
        demo's PAD_ID): those steps are masked out of losses.
      scope: the model's variable scope (default "embedding_attention_seq2seq").
      **kwargs: `keras.Model` arguments (name, dtype, ...).
    """

    _CONFIG_KEYS = ("num_encoder_symbols", "num_decoder_symbols", "embedding_size", "num_units",
                    "cell_type", "num_layers", "cell_options", "num_heads", "output_projection",
                    "initial_state_attention", "attention_score", "feed_previous", "mask_id",
                    "scope")

    def __init__(self, num_encoder_symbols: int, num_decoder_symbols: int, embedding_size: int,
                 num_units: int, cell_type: str = "GRUCell", num_layers: int = 1,
                 cell_options: Mapping[str, Any] | None = None, num_heads: int = 1,
                 output_projection: bool = False, initial_state_attention: bool = False,
                 attention_score: str = "additive", feed_previous: bool = False,
                 mask_id: int | None = None, scope: str = "embedding_attention_seq2seq",
                 **kwargs: Any):
        super().__init__(**kwargs)
        _check_score(attention_score)
        make_cell(cell_type, num_units, num_layers, cell_options)
        self._init_tf1(self._run, locals())

    def _arguments(self) -> dict[str, Any]:
        """The keyword arguments shared by the model's function API calls."""
        cell = make_cell(self.cell_type, self.num_units, self.num_layers, self.cell_options)
        return dict(
            cell=cell, num_encoder_symbols=self.num_encoder_symbols,
            num_decoder_symbols=self.num_decoder_symbols, embedding_size=self.embedding_size,
            num_heads=self.num_heads, output_projection=self._projection(cell.output_size),
            dtype=tf.as_dtype(self.compute_dtype), scope=self.scope,
            initial_state_attention=self.initial_state_attention,
            attention_score=self.attention_score)

    def _projection(self, output_size: int) -> tuple[tf.Tensor, tf.Tensor] | None:
        if not self.output_projection:
            return None
        dtype = tf.as_dtype(self.compute_dtype)
        proj_w = tf.compat.v1.get_variable(
            "proj_w", [self.num_decoder_symbols, output_size], dtype=dtype)
        proj_b = tf.compat.v1.get_variable("proj_b", [self.num_decoder_symbols], dtype=dtype)
        return tf.transpose(proj_w), proj_b

    def _run(self, mode: str, encoder_inputs: tf.Tensor, decoder_inputs: Any = None,
             **search: Any) -> Any:
        arguments = self._arguments()
        encoder_ids = tf.transpose(tf.cast(encoder_inputs, tf.int32))
        if mode == "beam":
            return embedding_attention_beam_search(encoder_ids, **arguments, **search)
        if mode == "greedy":
            return embedding_attention_greedy_decode(encoder_ids, **arguments, **search)
        projection = arguments["output_projection"]
        outputs, _ = loop_embedding_attention_seq2seq(
            encoder_ids, tf.transpose(tf.cast(decoder_inputs, tf.int32)),
            feed_previous=self.feed_previous, **arguments)
        if projection is not None:
            outputs = tf.einsum("tbo,ov->tbv", outputs, projection[0]) + projection[1]
        return tf.transpose(outputs, [1, 0, 2])

    def build(self, inputs_shape: Any = None) -> None:
        self._create_tf1_variables(
            lambda: ("train", tf.zeros([1, 1], tf.int32), tf.zeros([1, 1], tf.int32)))
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> tf.Tensor:
        encoder_inputs, decoder_inputs = inputs
        return self._tf1("train", encoder_inputs, decoder_inputs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> tf.Tensor | None:
        if self.mask_id is None:
            return None
        # keras.ops: the mask is also computed on symbolic (functional) inputs.
        return keras.ops.not_equal(inputs[1], self.mask_id)

    def beam_search(self, encoder_inputs: Any, beam_size: int, max_length: int | tf.Tensor,
                    length_penalty_alpha: float = 0.0, go_id: int = GO_ID,
                    eos_id: int = EOS_ID) -> DecodeResult:
        """Beam search (`embedding_attention_beam_search`) with this model's weights.

        Args:
          encoder_inputs: int ids `[batch, encoder_time]`, laid out as for `call`.
          beam_size: hypotheses kept per sentence.
          max_length: the most output symbols per hypothesis.
          length_penalty_alpha: GNMT's length penalty alpha (0: rank by log-probability).
          go_id, eos_id: the first symbol fed and the symbol that ends a hypothesis.

        Returns:
          A `DecodeResult`: tokens `[batch, beam_size, max_length]`, scores, log_probs
          and lengths `[batch, beam_size]`, best first.
        """
        self._ensure_built()
        return self._tf1("beam", encoder_inputs, beam_size=beam_size, max_length=max_length,
                         length_penalty_alpha=length_penalty_alpha, go_id=go_id, eos_id=eos_id)

    def greedy_decode(self, encoder_inputs: Any, max_length: int | tf.Tensor,
                      go_id: int = GO_ID, eos_id: int = EOS_ID) -> DecodeResult:
        """The original's greedy decode (`embedding_attention_greedy_decode`).

        Args:
          encoder_inputs: int ids `[batch, encoder_time]`.
          max_length: the most output symbols.
          go_id, eos_id: the first symbol fed and the symbol that ends a sentence.

        Returns:
          A `DecodeResult` without the beam axis: tokens `[batch, max_length]`, scores,
          log_probs and lengths `[batch]`.
        """
        self._ensure_built()
        return self._tf1("greedy", encoder_inputs, max_length=max_length, go_id=go_id,
                         eos_id=eos_id)

    def _ensure_built(self) -> None:
        if not self.built:
            self.build()

