"""Sequence-to-sequence model builders: an encoder RNN feeding a decoder.

Each builder keeps TF 1.15's signature, default scope and variable layout. The
encoder runs on `copy.deepcopy(cell)` where the original did so, so one cell
object can be passed to every bucket of a model.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import tensorflow as tf

from legacy_seq2seq import rnn_cell
from legacy_seq2seq._checks import assert_like_rnncell, check_output_projection, embed
from legacy_seq2seq.decoders import (
    _extract_argmax_and_embed,
    embedding_attention_decoder,
    embedding_rnn_decoder,
    rnn_decoder,
)
from legacy_seq2seq.rnn import loop_rnn, static_rnn
from legacy_seq2seq.template import get_variable

__all__ = [
    "basic_rnn_seq2seq",
    "tied_rnn_seq2seq",
    "embedding_rnn_seq2seq",
    "embedding_tied_rnn_seq2seq",
    "embedding_attention_seq2seq",
    "embedding_attention_encoder",
    "one2many_rnn_seq2seq",
]

_vs = tf.compat.v1

FeedPrevious = Any  # a Python bool or a scalar tf.bool tensor


def _decode_with_feed_previous(
    feed_previous: FeedPrevious,
    decode: Callable[[bool, bool], tuple[Any, Any]],
) -> tuple[Any, Any]:
    """Runs `decode(feed_previous_bool, in_cond)` for a bool, or both under `tf.cond`.

    With a tensor, the feed-previous branch is built first and creates the
    variables; the other branch reuses them (as TF 1.15 does).

    Args:
      feed_previous: Python bool or scalar bool tensor.
      decode: builds the decoder; returns `(outputs, state)`.

    Returns:
      `(outputs, state)` with the structure `decode` returns.
    """
    if isinstance(feed_previous, bool):
        return decode(feed_previous, False)

    def branch(flag: bool) -> tuple[Any, Any]:
        with _vs.variable_scope(_vs.get_variable_scope(), reuse=None if flag else True):
            return decode(flag, True)

    return tf.cond(tf.convert_to_tensor(feed_previous, tf.bool),
                   lambda: branch(True), lambda: branch(False))


def basic_rnn_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    dtype: tf.DType = tf.float32,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """Encodes with a copy of `cell`, decodes with `cell` from the encoder's final state.

    Args:
      encoder_inputs: list of tensors `[batch, input_size]`.
      decoder_inputs: list of tensors `[batch, input_size]`.
      cell: an RNN cell (its deep copy is the encoder).
      dtype: dtype of the encoder's initial state.
      scope: variable scope, default "basic_rnn_seq2seq".

    Returns:
      `(outputs, state)`: decoder outputs `[batch, cell.output_size]` and final state.
    """
    assert_like_rnncell("cell", cell)
    with _vs.variable_scope(scope or "basic_rnn_seq2seq"):
        _, encoder_state = static_rnn(copy.deepcopy(cell), encoder_inputs, dtype=dtype)
        return rnn_decoder(decoder_inputs, encoder_state, cell)


def tied_rnn_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    loop_function: Callable[[tf.Tensor, int], tf.Tensor] | None = None,
    dtype: tf.DType = tf.float32,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """Encoder and decoder share `cell` and its variables.

    Variables live under "combined_tied_rnn_seq2seq/<scope or 'tied_rnn_seq2seq'>".

    Args:
      encoder_inputs, decoder_inputs: lists of tensors `[batch, input_size]`.
      cell: the shared RNN cell.
      loop_function: as in `rnn_decoder`.
      dtype: dtype of the encoder's initial state.
      scope: inner variable scope, default "tied_rnn_seq2seq".

    Returns:
      `(outputs, state)`: decoder outputs `[batch, cell.output_size]` and final state.
    """
    assert_like_rnncell("cell", cell)
    with _vs.variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, encoder_state = static_rnn(cell, encoder_inputs, dtype=dtype, scope=scope)
        _vs.get_variable_scope().reuse_variables()
        return rnn_decoder(decoder_inputs, encoder_state, cell, loop_function=loop_function,
                           scope=scope)


def embedding_rnn_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: FeedPrevious = False,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """Embedding RNN encoder-decoder (no attention).

    The encoder is `EmbeddingWrapper(copy of cell)`; without `output_projection`
    the decoder cell is `OutputProjectionWrapper(cell, num_decoder_symbols)`.

    Args:
      encoder_inputs: list of int tensors `[batch]`.
      decoder_inputs: list of int tensors `[batch]`.
      cell: an RNN cell.
      num_encoder_symbols, num_decoder_symbols: vocabulary sizes.
      embedding_size: size of the embeddings.
      output_projection: None or `(W [output_size, num_decoder_symbols], B)`.
      feed_previous: Python bool or scalar bool tensor (greedy feedback).
      dtype: dtype of the variables and state (default float32).
      scope: variable scope, default "embedding_rnn_seq2seq".

    Returns:
      `(outputs, state)`: T tensors `[batch, num_decoder_symbols]` (or
      `[batch, cell.output_size]` with an output projection) and the final state.
    """
    assert_like_rnncell("cell", cell)
    with _vs.variable_scope(scope or "embedding_rnn_seq2seq") as varscope:
        if dtype is not None:
            varscope.set_dtype(dtype)
        else:
            dtype = varscope.dtype
        encoder_cell = rnn_cell.EmbeddingWrapper(
            copy.deepcopy(cell), embedding_classes=num_encoder_symbols,
            embedding_size=embedding_size)
        _, encoder_state = static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        if output_projection is None:
            cell = rnn_cell.OutputProjectionWrapper(cell, num_decoder_symbols)

        def decode(feed: bool, in_cond: bool) -> tuple[list[tf.Tensor], Any]:
            return embedding_rnn_decoder(
                decoder_inputs, encoder_state, cell, num_decoder_symbols, embedding_size,
                output_projection=output_projection, feed_previous=feed,
                update_embedding_for_previous=not in_cond)

        return _decode_with_feed_previous(feed_previous, decode)


def embedding_tied_rnn_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    num_decoder_symbols: int | None = None,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: FeedPrevious = False,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
) -> tuple[list[tf.Tensor], Any]:
    """Embedding encoder-decoder sharing one embedding and one cell.

    Args:
      encoder_inputs, decoder_inputs: lists of int tensors `[batch]`.
      cell: the shared RNN cell.
      num_symbols: number of symbols (rows of the shared embedding).
      embedding_size: size of the embeddings.
      num_decoder_symbols: output vocabulary size (default `num_symbols`).
      output_projection: None or `(W [output_size, num_symbols], B [num_symbols])`.
      feed_previous: Python bool or scalar bool tensor.
      dtype: dtype of the variables (default float32).
      scope: variable scope, default "embedding_tied_rnn_seq2seq".

    Returns:
      `(outputs, state)`: T decoder outputs and the final state.

    Raises:
      ValueError: `output_projection` has the wrong shape.
    """
    assert_like_rnncell("cell", cell)
    with _vs.variable_scope(scope or "embedding_tied_rnn_seq2seq", dtype=dtype) as varscope:
        dtype = varscope.dtype
        output_projection = check_output_projection(output_projection, num_symbols, dtype)
        embedding = get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        embedded_encoder = [tf.nn.embedding_lookup(embedding, x) for x in encoder_inputs]
        embedded_decoder = [tf.nn.embedding_lookup(embedding, x) for x in decoder_inputs]
        output_symbols = num_decoder_symbols if num_decoder_symbols is not None else num_symbols
        if output_projection is None:
            cell = rnn_cell.OutputProjectionWrapper(cell, output_symbols)

        def decode(feed: bool, in_cond: bool) -> tuple[list[tf.Tensor], Any]:
            loop_function = (_extract_argmax_and_embed(embedding, output_projection, not in_cond)
                             if feed else None)
            return tied_rnn_seq2seq(embedded_encoder, embedded_decoder, cell,
                                    loop_function=loop_function, dtype=dtype)

        return _decode_with_feed_previous(feed_previous, decode)


def embedding_attention_encoder(
    encoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_encoder_symbols: int,
    embedding_size: int,
    dtype: tf.DType,
    bidirectional: bool = False,
) -> tuple[tf.Tensor, Any]:
    """The encoder half of `embedding_attention_seq2seq`, in the current scope.

    Runs `EmbeddingWrapper(copy of cell)` with `static_rnn` (scope "rnn"), as the
    model does, so a decoder built separately (beam search, exported graphs)
    finds the same variables. Given a time-major tensor, runs it with `loop_rnn`
    instead (same variables and numbers; one graph for every length).

    Args:
      encoder_inputs: list of T int tensors `[batch]`, or an int tensor `[T, batch]`.
      cell: the model's RNN cell (it is copied, never built here).
      num_encoder_symbols: encoder vocabulary size.
      embedding_size: size of the embeddings.
      dtype: dtype of the state.
      bidirectional: beyond TF 1.x: also read the sentence in the other direction (see
        `_bidirectional_encoder`); the attention states then have 2 * cell.output_size.

    Returns:
      `(attention_states [batch, T, cell.output_size], encoder_state)`.
    """
    if bidirectional:
        if not tf.is_tensor(encoder_inputs):
            encoder_inputs = tf.stack(list(encoder_inputs))
        return _bidirectional_encoder(encoder_inputs, cell, num_encoder_symbols,
                                      embedding_size, dtype)
    encoder_cell = rnn_cell.EmbeddingWrapper(
        copy.deepcopy(cell), embedding_classes=num_encoder_symbols,
        embedding_size=embedding_size)
    if tf.is_tensor(encoder_inputs):
        encoder_outputs, encoder_state = loop_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        return tf.transpose(encoder_outputs, [1, 0, 2]), encoder_state
    encoder_outputs, encoder_state = static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
    return tf.stack(encoder_outputs, axis=1), encoder_state


def _bidirectional_encoder(
    encoder_inputs: tf.Tensor,
    cell: Any,
    num_encoder_symbols: int,
    embedding_size: int,
    dtype: tf.DType,
) -> tuple[tf.Tensor, Any]:
    """A copy of `cell` reads the sentence as fed ("fw"), another reads it reversed ("bw").

    The embedding ("bidirectional_rnn/embedding") is shared by both directions. Each
    position's attention state joins both directions' outputs there, so it sees the whole
    sentence; the decoder starts from the "fw" state, which has read the whole input as the
    unidirectional encoder's final state has. With the tutorial's layout (padding first, then
    the reversed sentence) the padding comes last in the "bw" direction and so cannot reach
    the states of the words.

    Args:
      encoder_inputs: `[T, batch]` int ids.
      cell, num_encoder_symbols, embedding_size, dtype: as `embedding_attention_encoder`.

    Returns:
      `(attention_states [batch, T, 2 * cell.output_size], fw final state)`.
    """
    with _vs.variable_scope("bidirectional_rnn"):
        embedding = get_variable("embedding", [num_encoder_symbols, embedding_size])
        embedded = embed(embedding, encoder_inputs, dtype)
        fw_outputs, fw_state = loop_rnn(copy.deepcopy(cell), embedded, dtype=dtype, scope="fw")
        bw_outputs, _ = loop_rnn(copy.deepcopy(cell), tf.reverse(embedded, [0]), dtype=dtype,
                                 scope="bw")
    outputs = tf.concat([fw_outputs, tf.reverse(bw_outputs, [0])], axis=2)
    return tf.transpose(outputs, [1, 0, 2]), fw_state


class _AttentionModel(NamedTuple):
    """What `_attention_model` composed, for the decoder that follows.

    Attributes:
      attention_states: the encoder outputs `[batch, T_enc, cell.output_size]`.
      encoder_state: the encoder's final state (the decoder's initial state).
      cell: the decoder cell: `OutputProjectionWrapper(cell, num_decoder_symbols)`
        without an output projection, else the model's cell.
      output_size: the decoder's output size, `cell.output_size` of that cell.
      dtype: the model's dtype (the scope's).
    """

    attention_states: tf.Tensor
    encoder_state: Any
    cell: Any
    output_size: int
    dtype: tf.DType


@contextlib.contextmanager
def _attention_model(
    encoder_inputs: Sequence[tf.Tensor] | tf.Tensor,
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    output_projection: tuple[Any, Any] | None,
    dtype: tf.DType | None,
    scope: str | Any,
    bidirectional_encoder: bool = False,
) -> Iterator[_AttentionModel]:
    """Opens the model's scope, runs its encoder and wraps its decoder cell.

    The one home of `embedding_attention_seq2seq`'s composition, shared by the
    unrolled model, its loop version and the searches, so that they all make
    and read the same variables. The caller builds its decoder inside the
    `with` block, in the model's scope.

    Args:
      encoder_inputs: list of T int tensors `[batch]`, or an int tensor `[T, batch]`
        (the encoder then runs in a `tf.while_loop`).
      cell: the model's RNN cell.
      num_encoder_symbols, num_decoder_symbols: vocabulary sizes.
      embedding_size: size of the embeddings.
      output_projection: None or `(W, B)`, as given to the model.
      dtype: dtype of the model (None: the scope's, float32).
      scope: the model's scope, default "embedding_attention_seq2seq".
      bidirectional_encoder: see `embedding_attention_encoder`'s `bidirectional`.

    Yields:
      An `_AttentionModel`.
    """
    with _vs.variable_scope(scope or "embedding_attention_seq2seq", dtype=dtype) as varscope:
        attention_states, encoder_state = embedding_attention_encoder(
            encoder_inputs, cell, num_encoder_symbols, embedding_size, varscope.dtype,
            bidirectional=bidirectional_encoder)
        if output_projection is None:
            cell = rnn_cell.OutputProjectionWrapper(cell, num_decoder_symbols)
        yield _AttentionModel(attention_states, encoder_state, cell, cell.output_size,
                              varscope.dtype)


def embedding_attention_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    num_heads: int = 1,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: FeedPrevious = False,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
) -> tuple[list[tf.Tensor], Any]:
    """Embedding encoder and attention decoder: the model of the translate demo.

    The encoder is `EmbeddingWrapper(copy of cell)` (scope ".../rnn"); its outputs
    `[batch, T_enc, cell.output_size]` are the attention states; the decoder is an
    `embedding_attention_decoder` with `cell`, wrapped in an
    `OutputProjectionWrapper(cell, num_decoder_symbols)` if no output projection.

    Args:
      encoder_inputs: list of int tensors `[batch]`.
      decoder_inputs: list of int tensors `[batch]`.
      cell: an RNN cell.
      num_encoder_symbols, num_decoder_symbols: vocabulary sizes.
      embedding_size: size of the embeddings.
      num_heads: number of attention heads.
      output_projection: None or `(W [cell.output_size, num_decoder_symbols], B)`;
        then outputs are `[batch, cell.output_size]`.
      feed_previous: Python bool or scalar bool tensor (greedy feedback).
      dtype: dtype of the variables and state (default float32).
      scope: variable scope, default "embedding_attention_seq2seq".
      initial_state_attention: see `attention_decoder`.
      attention_score: opt-in other attention scores, see `attention_decoder`
        (default: the original's additive attention).

    Returns:
      `(outputs, state)`: T tensors `[batch, num_decoder_symbols]` (or
      `[batch, cell.output_size]` with an output projection) and the final state.
    """
    assert_like_rnncell("cell", cell)
    with _attention_model(encoder_inputs, cell, num_encoder_symbols, num_decoder_symbols,
                          embedding_size, output_projection, dtype, scope) as model:

        def decode(feed: bool, in_cond: bool) -> tuple[list[tf.Tensor], Any]:
            return embedding_attention_decoder(
                decoder_inputs, model.encoder_state, model.attention_states, model.cell,
                num_decoder_symbols, embedding_size, num_heads=num_heads,
                output_size=model.output_size,
                output_projection=output_projection, feed_previous=feed,
                update_embedding_for_previous=not in_cond,
                initial_state_attention=initial_state_attention,
                attention_score=attention_score)

        return _decode_with_feed_previous(feed_previous, decode)


def one2many_rnn_seq2seq(
    encoder_inputs: Sequence[tf.Tensor],
    decoder_inputs_dict: Mapping[Any, Sequence[tf.Tensor]],
    enc_cell: Any,
    dec_cells_dict: Mapping[Any, Any],
    num_encoder_symbols: int,
    num_decoder_symbols_dict: Mapping[Any, int],
    embedding_size: int,
    feed_previous: FeedPrevious = False,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
) -> tuple[dict[Any, list[tf.Tensor]], dict[Any, Any]]:
    """One embedding encoder, several embedding decoders (multi-task).

    Decoder `name` lives in scope "one2many_decoder_<name>" with its own cell
    wrapped in `OutputProjectionWrapper(cell, num_decoder_symbols_dict[name])`.

    Args:
      encoder_inputs: list of int tensors `[batch]`.
      decoder_inputs_dict: name -> list of int tensors `[batch]`.
      enc_cell: the encoder's cell.
      dec_cells_dict: name -> decoder cell (same keys as `decoder_inputs_dict`).
      num_encoder_symbols: encoder vocabulary size.
      num_decoder_symbols_dict: name -> decoder vocabulary size.
      embedding_size: size of the embeddings.
      feed_previous: Python bool or scalar bool tensor.
      dtype: dtype of the variables (default float32).
      scope: variable scope, default "one2many_rnn_seq2seq".

    Returns:
      `(outputs_dict, state_dict)`: name -> list of `[batch, num_decoder_symbols]`
      outputs, name -> final state.

    Raises:
      TypeError: a cell is not an RNN cell.
      ValueError: the decoder dicts have different keys.
    """
    if not isinstance(enc_cell, rnn_cell.RNNCell):
        raise TypeError(f"enc_cell is not an RNNCell: {type(enc_cell)}")
    if set(dec_cells_dict) != set(decoder_inputs_dict):
        raise ValueError(
            "keys of dec_cells_dict != keys of decoder_inputs_dict: "
            f"{sorted(map(str, dec_cells_dict))} vs {sorted(map(str, decoder_inputs_dict))}")
    for dec_cell in dec_cells_dict.values():
        if not isinstance(dec_cell, rnn_cell.RNNCell):
            raise TypeError(f"dec_cell is not an RNNCell: {type(dec_cell)}")

    outputs_dict: dict[Any, list[tf.Tensor]] = {}
    state_dict: dict[Any, Any] = {}
    with _vs.variable_scope(scope or "one2many_rnn_seq2seq", dtype=dtype) as varscope:
        dtype = varscope.dtype
        encoder_cell = rnn_cell.EmbeddingWrapper(
            enc_cell, embedding_classes=num_encoder_symbols, embedding_size=embedding_size)
        _, encoder_state = static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        for name, decoder_inputs in decoder_inputs_dict.items():
            num_decoder_symbols = num_decoder_symbols_dict[name]
            with _vs.variable_scope(f"one2many_decoder_{name}"):
                dec_cell = rnn_cell.OutputProjectionWrapper(dec_cells_dict[name],
                                                            num_decoder_symbols)

                def decode(feed: bool, _in_cond: bool, dec_cell=dec_cell,
                           decoder_inputs=decoder_inputs,
                           num_decoder_symbols=num_decoder_symbols):
                    return embedding_rnn_decoder(
                        decoder_inputs, encoder_state, dec_cell, num_decoder_symbols,
                        embedding_size, feed_previous=feed)

                outputs, state = _decode_with_feed_previous(feed_previous, decode)
            outputs_dict[name] = outputs
            state_dict[name] = state
    return outputs_dict, state_dict
