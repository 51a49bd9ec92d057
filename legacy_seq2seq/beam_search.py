"""Greedy and beam-search decoding of an `embedding_attention_seq2seq` model, in graph.

The original decodes greedily by running the whole model with `feed_previous=True`
over a bucket's decoder length and taking the argmax of every output. Here the
decoder runs in a `tf.while_loop` over time that stops once every hypothesis has
emitted EOS, and keeps `beam_size` hypotheses per sentence:

    def decode(encoder_inputs):
        cell = legacy_seq2seq.rnn_cell.GRUCell(256)
        return legacy_seq2seq.embedding_attention_beam_search(
            encoder_inputs, cell, 40000, 40000, 256, beam_size=4, max_length=50)

The encoder and the decoder step are built in the variable scopes of
`embedding_attention_seq2seq` ("embedding_attention_seq2seq/rnn",
".../embedding_attention_decoder/embedding", ".../attention_decoder/..."), so the
search reads a trained model's variables: in a `tf.compat.v1` graph, build it under
`reuse=True` next to the training model or alone and restore a checkpoint; in TF 2,
call it from the function of the `Template` that built the model (for example a
function with a `mode` argument), which then hands it the same variables, or load
the checkpoint into a fresh `Template`.

With `beam_size=1` the search is the original's greedy decode, token for token.

* `embedding_attention_beam_search`: n-best beam search (`DecodeResult`).
* `embedding_attention_greedy_decode`: the greedy decode (beam size 1, no beam axis).
* `length_penalty`: GNMT's length penalty used by the ranking.

(This module was `legacy_seq2seq/decoding.py`, which remains as an alias.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import tensorflow as tf

from legacy_seq2seq._checks import (
    apply_output_projection,
    assert_like_rnncell,
    assert_nonempty,
    check_output_projection,
)
from legacy_seq2seq.decoders import AttentionDecoderStep
from legacy_seq2seq.seq2seq import _attention_model
from legacy_seq2seq.template import get_variable

__all__ = [
    "DecodeResult",
    "embedding_attention_beam_search",
    "embedding_attention_greedy_decode",
    "length_penalty",
]

_vs = tf.compat.v1

# The translate demo's special symbols (data_utils.GO_ID, data_utils.EOS_ID).
GO_ID = 1
EOS_ID = 2


class DecodeResult(NamedTuple):
    """Decoded hypotheses; the beam axis `n` is absent for the greedy decode.

    Attributes:
      tokens: int32 `[batch, n, max_length]`; hypothesis `(b, k)` is
        `tokens[b, k, :lengths[b, k]]`, every later position holds `eos_id`.
      scores: float32 `[batch, n]`, `log_probs / length_penalty(...)` (equal to
        `log_probs` when alpha is 0); hypotheses are sorted by it, best first.
      log_probs: float32 `[batch, n]`, the model's log-probability of the
        hypothesis, EOS included when it was emitted.
      lengths: int32 `[batch, n]`, number of tokens before EOS (`max_length` when
        the hypothesis never emitted EOS).
    """

    tokens: tf.Tensor
    scores: tf.Tensor
    log_probs: tf.Tensor
    lengths: tf.Tensor


class _Beams(NamedTuple):
    """The loop state; `*_flat` tensors have `batch * beam_size` rows, beam-minor."""

    tokens: tf.Tensor  # int32 [batch, beam, max_length]
    log_probs: tf.Tensor  # float32 [batch, beam]
    finished: tf.Tensor  # bool [batch, beam]
    lengths: tf.Tensor  # int32 [batch, beam], tokens emitted, EOS included
    prev_flat: tf.Tensor  # int32 [batch * beam], the last token (input of the next step)
    state_flat: Any  # the cell state, rows [batch * beam]
    reads_flat: list[tf.Tensor]  # per head [batch * beam, attn_size]


def length_penalty(lengths: tf.Tensor, alpha: float) -> tf.Tensor:
    """GNMT's length penalty `((5 + lengths) / 6) ** alpha` (Wu et al., 2016), float32."""
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, alpha)


def embedding_attention_beam_search(
    encoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    beam_size: int,
    max_length: int | tf.Tensor,
    num_heads: int = 1,
    output_projection: tuple[Any, Any] | None = None,
    length_penalty_alpha: float = 0.0,
    go_id: int = GO_ID,
    eos_id: int = EOS_ID,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
    bidirectional_encoder: bool = False,
) -> DecodeResult:
    """Beam search through an `embedding_attention_seq2seq` model.

    Every step extends each live hypothesis by every symbol, scores the extensions
    by their summed log-softmax (of `output @ W + B` with an output projection),
    divided by the length penalty when `length_penalty_alpha` > 0, and keeps the
    `beam_size` best per sentence. A hypothesis that emitted `eos_id` stays in the
    beam unchanged. The loop stops after `max_length` steps or when every
    hypothesis has ended.

    Args:
      encoder_inputs: list of T int tensors `[batch]`, the sentences padded to one
        length (a bucket), as the model's encoder inputs; or a time-major int tensor
        `[T, batch]`, whose encoder runs in a `tf.while_loop` (one graph for every T).
      cell: the model's RNN cell (a fresh, unbuilt cell of the same configuration).
      num_encoder_symbols, num_decoder_symbols: vocabulary sizes.
      embedding_size: size of the embeddings.
      beam_size: hypotheses kept per sentence, 1 <= beam_size <= num_decoder_symbols.
      max_length: the most output symbols per hypothesis (e.g. the bucket's decoder
        length), >= 1; may be a scalar int32 tensor (one graph for every length).
      num_heads: number of attention heads of the model.
      output_projection: None or `(W [cell.output_size, num_decoder_symbols], B)`,
        as given to `embedding_attention_seq2seq`.
      length_penalty_alpha: alpha of `length_penalty`; 0 ranks by log-probability.
      go_id: the symbol fed at the first step.
      eos_id: the symbol that ends a hypothesis.
      dtype: dtype of the model (default: the scope's, float32).
      scope: the model's scope, default "embedding_attention_seq2seq".
      initial_state_attention: as given to the model.
      attention_score: as given to the model's attention decoder (default "additive").
      bidirectional_encoder: as given to the model (`loop_embedding_attention_seq2seq`).

    Returns:
      A `DecodeResult` with the beam axis: tokens `[batch, beam_size, max_length]`,
      scores, log_probs and lengths `[batch, beam_size]`, best hypothesis first.

    Raises:
      ValueError: no encoder inputs, `beam_size` or `max_length` out of range, or a
        bad `output_projection`.
      TypeError: `cell` is not an RNN cell.
    """
    if not tf.is_tensor(encoder_inputs):
        assert_nonempty("encoder_inputs", encoder_inputs, "beam search")
    assert_like_rnncell("cell", cell)
    if not 1 <= beam_size <= num_decoder_symbols:
        raise ValueError(
            f"beam_size must be between 1 and num_decoder_symbols ({num_decoder_symbols}), "
            f"got {beam_size}.")
    if not tf.is_tensor(max_length) and max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}.")

    with _attention_model(encoder_inputs, cell, num_encoder_symbols, num_decoder_symbols,
                          embedding_size, output_projection, dtype, scope,
                          bidirectional_encoder) as model:
        with _vs.variable_scope("embedding_attention_decoder"):
            output_projection = check_output_projection(
                output_projection, num_decoder_symbols, model.dtype, model.output_size)
            embedding = get_variable("embedding", [num_decoder_symbols, embedding_size])
            with _vs.variable_scope("attention_decoder") as decoder_scope:
                search = (_GreedySearch if beam_size == 1 else _BeamSearch)(
                    AttentionDecoderStep(model.cell, _tile(model.attention_states, beam_size),
                                         model.output_size, num_heads, model.dtype,
                                         attention_score=attention_score),
                    embedding, output_projection, beam_size, max_length, num_decoder_symbols,
                    length_penalty_alpha, eos_id)
                beams = search.start(_tile(model.encoder_state, beam_size), go_id,
                                     initial_state_attention)
            # Step 0 made every variable; the loop body only reads them.
            with _vs.variable_scope(decoder_scope, reuse=True):
                beams = search.run(beams)
    ended = tf.cast(beams.finished, tf.int32)
    scores = beams.log_probs
    if length_penalty_alpha:
        scores = scores / length_penalty(beams.lengths, length_penalty_alpha)
    # The last top_k ranked exactly these scores, so the beams are already sorted.
    return DecodeResult(beams.tokens, scores, beams.log_probs, beams.lengths - ended)


def embedding_attention_greedy_decode(
    encoder_inputs: Sequence[tf.Tensor],
    cell: Any,
    num_encoder_symbols: int,
    num_decoder_symbols: int,
    embedding_size: int,
    max_length: int | tf.Tensor,
    num_heads: int = 1,
    output_projection: tuple[Any, Any] | None = None,
    go_id: int = GO_ID,
    eos_id: int = EOS_ID,
    dtype: tf.DType | None = None,
    scope: str | Any = None,
    initial_state_attention: bool = False,
    attention_score: str = "additive",
    bidirectional_encoder: bool = False,
) -> DecodeResult:
    """The original's greedy decode (argmax fed back) in a `tf.while_loop`.

    The same as `embedding_attention_beam_search` with `beam_size=1` (same
    arguments), with the beam axis removed.

    Returns:
      A `DecodeResult` without the beam axis: tokens `[batch, max_length]`,
      scores, log_probs and lengths `[batch]`.
    """
    result = embedding_attention_beam_search(
        encoder_inputs, cell, num_encoder_symbols, num_decoder_symbols, embedding_size,
        beam_size=1, max_length=max_length, num_heads=num_heads,
        output_projection=output_projection, go_id=go_id, eos_id=eos_id, dtype=dtype,
        scope=scope, initial_state_attention=initial_state_attention,
        attention_score=attention_score, bidirectional_encoder=bidirectional_encoder)
    return DecodeResult(*(tf.squeeze(field, 1) for field in result))


def _tile(structure: Any, beam_size: int) -> Any:
    """Repeats every row `beam_size` times: `[batch, ...]` -> `[batch * beam_size, ...]`."""
    if beam_size == 1:
        return structure
    return tf.nest.map_structure(lambda t: tf.repeat(t, beam_size, axis=0), structure)


class _BeamSearch:
    """The search's arithmetic: one step expands and prunes the beams."""

    def __init__(self, step: AttentionDecoderStep, embedding: tf.Tensor,
                 output_projection: tuple[tf.Tensor, tf.Tensor] | None, beam_size: int,
                 max_length: int, num_symbols: int, alpha: float, eos_id: int):
        self.step = step
        self.embedding = embedding
        self.output_projection = output_projection
        self.beam_size = beam_size
        self.max_length = max_length
        self.num_symbols = num_symbols
        self.alpha = alpha
        self.eos_id = eos_id

    def start(self, state_flat: Any, go_id: int, initial_state_attention: bool) -> _Beams:
        """Runs step 0 from `go_id` (outside any loop, so that it can create variables)."""
        rows = tf.shape(tf.nest.flatten(state_flat)[0])[0]
        batch = rows // self.beam_size
        if initial_state_attention:
            reads, _ = self.step.attention(state_flat)
        else:
            reads = self.step.attention.zero_reads(rows)
        # Only the first of the identical beams may grow at step 0.
        first_only = tf.concat([tf.zeros([1]), tf.fill([self.beam_size - 1], -float("inf"))], 0)
        beams = _Beams(
            tokens=tf.fill(tf.stack([batch, self.beam_size, self.max_length]), self.eos_id),
            log_probs=tf.tile(first_only[None, :], tf.stack([batch, 1])),
            finished=tf.zeros(tf.stack([batch, self.beam_size]), tf.bool),
            lengths=tf.zeros(tf.stack([batch, self.beam_size]), tf.int32),
            prev_flat=tf.fill(tf.reshape(rows, [1]), go_id),
            state_flat=state_flat,
            reads_flat=reads)
        return self.advance(tf.constant(0), beams, reuse_attention=initial_state_attention)

    def run(self, beams: _Beams) -> _Beams:
        """Steps 1 .. max_length - 1 in a `tf.while_loop`, until every beam has ended."""

        def unfinished(t: tf.Tensor, beams: _Beams) -> tf.Tensor:
            return tf.logical_and(t < self.max_length,
                                  tf.logical_not(tf.reduce_all(beams.finished)))

        def body(t: tf.Tensor, beams: _Beams) -> tuple[tf.Tensor, _Beams]:
            return t + 1, self.advance(t, beams)

        _, beams = tf.while_loop(unfinished, body, (tf.constant(1), beams))
        return beams

    def advance(self, t: tf.Tensor, beams: _Beams, reuse_attention: bool = False) -> _Beams:
        """Feeds each beam's last token, extends by every symbol, keeps the best."""
        k, vocab = self.beam_size, self.num_symbols
        inputs = tf.nn.embedding_lookup(self.embedding, beams.prev_flat)
        output, state_flat, reads_flat, _ = self.step(
            inputs, beams.state_flat, beams.reads_flat, reuse_attention=reuse_attention)
        if self.output_projection is not None:
            output = apply_output_projection(output, self.output_projection)
        step_log_probs = tf.reshape(tf.nn.log_softmax(tf.cast(output, tf.float32)),
                                    [-1, k, vocab])
        # An ended beam has one continuation, EOS again, at no cost: it keeps its score.
        eos_only = tf.where(tf.equal(tf.range(vocab), self.eos_id), 0.0, -float("inf"))
        step_log_probs = tf.where(beams.finished[:, :, None], eos_only, step_log_probs)
        totals = beams.log_probs[:, :, None] + step_log_probs  # [batch, k, vocab]
        lengths = beams.lengths + tf.cast(tf.logical_not(beams.finished), tf.int32)
        ranking = totals
        if self.alpha:
            ranking = totals / length_penalty(lengths, self.alpha)[:, :, None]
        _, best = tf.math.top_k(tf.reshape(ranking, [-1, k * vocab]), k)  # [batch, k]
        parents = best // vocab
        symbols = tf.cast(best % vocab, tf.int32)

        tokens = tf.gather(beams.tokens, parents, batch_dims=1)
        now = tf.equal(tf.range(self.max_length), t)[None, None, :]
        rows = tf.reshape(parents + k * tf.range(tf.shape(parents)[0])[:, None], [-1])
        return _Beams(
            tokens=tf.where(now, symbols[:, :, None], tokens),
            log_probs=tf.gather(tf.reshape(totals, [-1, k * vocab]), best, batch_dims=1),
            finished=tf.logical_or(tf.gather(beams.finished, parents, batch_dims=1),
                                   tf.equal(symbols, self.eos_id)),
            lengths=tf.gather(lengths, parents, batch_dims=1),
            prev_flat=tf.reshape(symbols, [-1]),
            state_flat=tf.nest.map_structure(lambda s: tf.gather(s, rows), state_flat),
            reads_flat=[tf.gather(r, rows) for r in reads_flat])


class _GreedySearch(_BeamSearch):
    """Beam size 1: the argmax of each step's logits, fed back (the original's choice).

    The beams need no ranking, reordering or gathering, so a step is a few ops: what
    makes the greedy decode of one sentence at a time fast.
    """

    def advance(self, t: tf.Tensor, beams: _Beams, reuse_attention: bool = False) -> _Beams:
        """Feeds each sentence's last token and appends the argmax of the step's logits."""
        inputs = tf.nn.embedding_lookup(self.embedding, beams.prev_flat)
        output, state_flat, reads_flat, _ = self.step(
            inputs, beams.state_flat, beams.reads_flat, reuse_attention=reuse_attention)
        if self.output_projection is not None:
            output = apply_output_projection(output, self.output_projection)
        finished = beams.finished[:, 0]
        # An ended sentence emits EOS again, at no cost: it keeps its score.
        symbols = tf.where(finished, self.eos_id, tf.argmax(output, 1, output_type=tf.int32))
        step_log_probs = tf.gather(tf.nn.log_softmax(tf.cast(output, tf.float32)), symbols,
                                   batch_dims=1)
        now = tf.equal(tf.range(self.max_length), t)[None, None, :]
        return _Beams(
            tokens=tf.where(now, symbols[:, None, None], beams.tokens),
            log_probs=beams.log_probs + tf.where(finished, 0.0, step_log_probs)[:, None],
            finished=tf.logical_or(beams.finished, tf.equal(symbols, self.eos_id)[:, None]),
            lengths=beams.lengths + tf.cast(tf.logical_not(beams.finished), tf.int32),
            prev_flat=symbols,
            state_flat=state_flat,
            reads_flat=reads_flat)
