"""Beam search, greedy search and attention weights on a trained `Seq2SeqModel`'s variables.

The model's own graph is the original's: the decoder unrolled over a bucket's whole length.
This module builds `legacy_seq2seq`'s while-loop search (`embedding_attention_beam_search`;
beam size 1 is the original's greedy decode) and a teacher-forced pass that returns the
attention weights, both reading the model's variables by their TF 1.x names; no variable is
copied or created. The same graph-building methods serve the SavedModel export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

import legacy_seq2seq as seq2seq
from translate.seq2seq_model import Seq2SeqModel

_vs = tf.compat.v1

# The variable scope of the model's embedding_attention_seq2seq.
_MODEL_SCOPE = "embedding_attention_seq2seq"


def model_cell(model: Seq2SeqModel) -> seq2seq.rnn_cell.RNNCell:
    """A fresh cell of the model's configuration (GRU or LSTM, `num_layers` of `size`)."""
    def single_cell() -> seq2seq.rnn_cell.RNNCell:
        if model.use_lstm:
            return seq2seq.rnn_cell.BasicLSTMCell(model.size)
        return seq2seq.rnn_cell.GRUCell(model.size)

    if model.num_layers > 1:
        return seq2seq.rnn_cell.MultiRNNCell([single_cell() for _ in range(model.num_layers)])
    return single_cell()


class ModelSearch:
    """Decoding graphs over the variables of `model` (built or restored beforehand).

    Args:
      model: a `Seq2SeqModel` (any `forward_only`); its variables are read, never changed.
    """

    def __init__(self, model: Seq2SeqModel):
        self.model = model
        self.buckets = list(model.buckets)
        self._variables = model.variables_by_name
        # The Template only makes legacy_seq2seq's variable requests legal in TF 2; every
        # request is answered by `_model_variable`, so it never creates one.
        self._template = seq2seq.Template(self._with_model_variables, name="model_search")
        self._search_functions: dict[tuple[int, int], Any] = {}
        self._alignment_functions: dict[int, Any] = {}

    @property
    def variables(self) -> list[tf.Variable]:
        """The model's variables the graphs read (for a `tf.Module` to track and save)."""
        return list(self._variables.values())

    # ------------------------------------------------------------------ graph builders

    def search_graph(self, encoder_inputs: Sequence[tf.Tensor], beam_size: int,
                     max_length: int) -> seq2seq.DecodeResult:
        """Beam search (greedy for `beam_size` 1) of sentences laid out for one bucket.

        Args:
          encoder_inputs: the bucket's encoder length of int32 tensors `[batch]`, as
            `translate.batching.make_batch` lays them out (padded, reversed).
          beam_size: hypotheses kept per sentence.
          max_length: most target tokens (the bucket's decoder length, as the original).

        Returns:
          A `legacy_seq2seq.DecodeResult` with the beam axis: tokens `[batch, beam,
          max_length]`, log_probs and lengths `[batch, beam]`, best first.
        """
        return self._template(self._build_search, list(encoder_inputs), beam_size, max_length)

    def alignment_graph(self, encoder_inputs: Sequence[tf.Tensor],
                        decoder_inputs: Sequence[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        """The model reading given targets (teacher forcing): logits and attention weights.

        Args:
          encoder_inputs: as in `search_graph`.
          decoder_inputs: the bucket's decoder length of int32 tensors `[batch]`: GO, the
            target tokens, then anything (padding).

        Returns:
          (logits `[decoder_length, batch, target_vocab]` float32, weights
          `[decoder_length, batch, encoder_length]` float32): row t of the weights is the
          attention with which the model scores the token at decoder position t + 1; each
          row sums to 1.
        """
        return self._template(self._build_alignment, list(encoder_inputs),
                              list(decoder_inputs))

    def _with_model_variables(self, build: Any, *args: Any) -> Any:
        with _vs.variable_scope(_vs.get_variable_scope(), custom_getter=self._model_variable,
                                auxiliary_name_scope=False):
            return build(*args)

    def _model_variable(self, getter: Any, name: str, *args: Any, **kwargs: Any) -> tf.Variable:
        del getter, args
        variable = self._variables.get(name)
        if variable is None:
            raise ValueError(f"decoding needs the variable '{name}', which the model does "
                             f"not have (it has {len(self._variables)} variables)")
        shape = kwargs.get("shape")
        if shape is not None and tf.TensorShape(shape).as_list() != variable.shape.as_list():
            raise ValueError(f"decoding needs '{name}' of shape {tf.TensorShape(shape)}, the "
                             f"model's is {variable.shape}")
        return variable

    def _projection(self) -> tuple[tf.Tensor, tf.Tensor] | None:
        if not self.model.use_sampled_softmax:
            return None
        m = self.model
        w_t = _vs.get_variable("proj_w", [m.target_vocab_size, m.size], dtype=m.dtype)
        b = _vs.get_variable("proj_b", [m.target_vocab_size], dtype=m.dtype)
        return tf.transpose(w_t), b

    def _build_search(self, encoder_inputs: list[tf.Tensor], beam_size: int,
                      max_length: int) -> seq2seq.DecodeResult:
        m = self.model
        return seq2seq.embedding_attention_beam_search(
            encoder_inputs, model_cell(m), m.source_vocab_size, m.target_vocab_size, m.size,
            beam_size=beam_size, max_length=max_length, output_projection=self._projection(),
            dtype=m.dtype, scope=_MODEL_SCOPE)

    def _build_alignment(self, encoder_inputs: list[tf.Tensor],
                         decoder_inputs: list[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        m = self.model
        projection = self._projection()
        cell = model_cell(m)
        with _vs.variable_scope(_MODEL_SCOPE, dtype=m.dtype) as scope:
            states, state = seq2seq.embedding_attention_encoder(
                encoder_inputs, cell, m.source_vocab_size, m.size, scope.dtype)
            output_size = None
            if projection is None:
                cell = seq2seq.rnn_cell.OutputProjectionWrapper(cell, m.target_vocab_size)
                output_size = m.target_vocab_size
            outputs, _, weights = seq2seq.embedding_attention_decoder_with_weights(
                decoder_inputs, state, states, cell, m.target_vocab_size, m.size,
                output_size=output_size, output_projection=projection)
        if projection is not None:
            outputs = [tf.matmul(o, projection[0]) + projection[1] for o in outputs]
        return (tf.cast(tf.stack(outputs), tf.float32),
                tf.cast(tf.stack([heads[0] for heads in weights]), tf.float32))

    # ------------------------------------------------------------------ eager entry points

    def search(self, encoder: np.ndarray, bucket_id: int, beam_size: int) -> dict[str, np.ndarray]:
        """Runs `search_graph` on a batch (one compiled function per bucket and beam size).

        Args:
          encoder: int32 `[encoder_length, batch]` of the bucket (time-major, as
            `make_batch` lays it out).
          bucket_id: the bucket; its decoder length is the most tokens per hypothesis.
          beam_size: hypotheses kept per sentence.

        Returns:
          numpy arrays "tokens" `[batch, beam, decoder_length]`, "log_probs" and "lengths"
          `[batch, beam]`, best hypothesis first.
        """
        key = (bucket_id, beam_size)
        if key not in self._search_functions:
            encoder_length, decoder_length = self.buckets[bucket_id]

            def run(encoder: tf.Tensor) -> dict[str, tf.Tensor]:
                result = self.search_graph(tf.unstack(encoder, num=encoder_length),
                                           beam_size, decoder_length)
                return {"tokens": result.tokens, "log_probs": result.log_probs,
                        "lengths": result.lengths}

            self._search_functions[key] = tf.function(
                run, input_signature=[tf.TensorSpec([encoder_length, None], tf.int32)],
                autograph=False)
        outputs = self._search_functions[key](np.asarray(encoder, dtype=np.int32))
        return {name: value.numpy() for name, value in outputs.items()}

    def alignment(self, encoder: np.ndarray, decoder: np.ndarray,
                  bucket_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Runs `alignment_graph` on a batch laid out for bucket `bucket_id`.

        Args:
          encoder: int32 `[encoder_length, batch]`.
          decoder: int32 `[decoder_length, batch]`.
          bucket_id: the bucket.

        Returns:
          (logits, weights) as numpy arrays, see `alignment_graph`.
        """
        if bucket_id not in self._alignment_functions:
            encoder_length, decoder_length = self.buckets[bucket_id]

            def run(encoder: tf.Tensor, decoder: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
                return self.alignment_graph(tf.unstack(encoder, num=encoder_length),
                                            tf.unstack(decoder, num=decoder_length))

            self._alignment_functions[bucket_id] = tf.function(
                run, autograph=False,
                input_signature=[tf.TensorSpec([encoder_length, None], tf.int32),
                                 tf.TensorSpec([decoder_length, None], tf.int32)])
        logits, weights = self._alignment_functions[bucket_id](
            np.asarray(encoder, dtype=np.int32), np.asarray(decoder, dtype=np.int32))
        return logits.numpy(), weights.numpy()
