"""The tutorial's sequence-to-sequence model with attention and buckets, in TF 2.

Same constructor, `get_batch` and `step` as the original `seq2seq_model.Seq2SeqModel`, and the
same variables under the same names, so the original's checkpoints restore by name:

  Variable                           learning rate (float32, float16 with use_fp16)
  Variable_1                         global step (int32)
  proj_w [target_vocab, size]        output projection, with sampled softmax or
                                     output_projection; absent with share_decoder_embeddings,
                                     which projects by the decoder's embedding
  proj_b [target_vocab]
  embedding_attention_seq2seq/...    encoder, decoder, attention (legacy_seq2seq)

There is no Session. The original built one statically unrolled graph per bucket; here the
time steps run in `tf.while_loop`s (`legacy_seq2seq.loop_embedding_attention_seq2seq`, the same
variables and numbers), so ONE compiled `tf.function` per graph serves every bucket, traced
once on first use (see `tracing_counts`). Every graph over the variables is built here, by the
model's `Template` or a function bound to it (`Template.bind`), so nothing else rebuilds the
model's cell, scopes or attention:

  step (training)       loss, gradients and the SGD update (teacher forcing)
  step (forward_only)   loss and outputs; the original's decoding graph in a forward-only model
  greedy_logits         the original's decoding logits (feed_previous), without the loss
  search                greedy decoding (beam size 1) and beam search: one while-loop search;
                        greedy decoding of a small model is compiled by XLA per bucket and
                        batch size (`xla_decode`); `greedy_search` is its greedy shorthand
  search_graph          the same search inside another graph (the SavedModel export)
  alignment             logits and attention weights of the model reading given targets

Each decoder step's sampled softmax still draws its own candidates, as the original's per-step
loss did. `step` accepts and ignores a `session` argument so that code written for the
original runs unchanged. docs/performance.md has the measurements. A variant of the model
overrides `attention_score` (see `translate.models`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

import data_utils
import legacy_seq2seq as seq2seq
from translate import batching, checkpoints
from translate.hparams import XLA_DECODE_CHOICES, HParams
from translate.train import optimizers
from translate.train.loss_scale import DynamicLossScale
from translate.train.trainer import Trainer


def _full_crossent(logits: tf.Tensor, targets: tf.Tensor, label_smoothing: float) -> tf.Tensor:
    """Softmax cross-entropy of `logits [..., classes]` against int `targets [...]`, with
    `label_smoothing` of the targets (0: none)."""
    if not label_smoothing:
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    # The fused dense-label kernel computes the loss and its gradient in one pass over the
    # logits; a log-softmax with a gathered target costs a vocabulary-sized scatter, broadcast
    # and exp more in the backward pass (11% of a modern-recipe step's op time).
    classes = tf.shape(logits)[-1]
    off = label_smoothing / tf.cast(classes, logits.dtype)
    labels = tf.one_hot(targets, classes, on_value=1.0 - label_smoothing + off, off_value=off,
                        dtype=logits.dtype)
    return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def _sequence_crossent(
    outputs: tf.Tensor,
    targets: tf.Tensor,
    projection: tuple[tf.Tensor, tf.Tensor] | None,
    num_samples: int,
    num_classes: int,
    dtype: tf.DType,
    label_smoothing: float = 0.0,
    weights: tf.Tensor | None = None,
) -> tf.Tensor:
    """Cross-entropy of every decoder step: `[time, batch]` of the model's `dtype`.

    Args:
      outputs: `[time, batch, n]` decoder outputs (logits without a projection), of `dtype`
        or of the mixed-precision compute dtype.
      targets: int `[time, batch]`.
      projection: `(proj_w [classes, n], proj_b)` (the output projection), else None.
      num_samples: sampled classes per time step (each step draws its own, as the original's
        per-step `tf.nn.sampled_softmax_loss` calls did); 0: the full softmax of the
        projected outputs.
      num_classes: the target vocabulary size.
      dtype: the model's (variables') dtype.
      label_smoothing: with the full softmax, the cross-entropy against targets that put
        `1 - label_smoothing` on the target and spread `label_smoothing` over every class.
      weights: the target weights `[time, batch]`; with an output projection and the full
        softmax, only the steps of positive weight are projected and scored (the others'
        cross-entropy is 0): padding costs no vocabulary-sized product.
    """
    if projection is None:
        return _full_crossent(tf.cast(outputs, dtype), targets, label_smoothing)
    if not num_samples:
        shape = tf.shape(targets)
        kept = tf.where(tf.reshape(weights, [-1]) > 0)
        kept_outputs = tf.gather_nd(tf.reshape(outputs, [-1, tf.shape(outputs)[2]]), kept)
        crossent = _full_crossent(_project(tf.cast(kept_outputs, dtype), projection),
                                  tf.gather_nd(tf.reshape(targets, [-1]), kept),
                                  label_smoothing)
        return tf.reshape(tf.scatter_nd(kept, crossent, [shape[0] * shape[1]]), shape)
    w_t, b = projection
    # Computed in float32 whatever the model's dtype (float16 is unstable here), then cast back.
    crossent = seq2seq.sampled_softmax_loss_per_step(
        tf.cast(w_t, tf.float32), tf.cast(b, tf.float32), targets,
        tf.cast(outputs, tf.float32), num_samples, num_classes)
    return tf.cast(crossent, dtype)


# Measured on 2 CPU cores (docs/performance.md): XLA decodes faster with up to 23M decoder
# weights (1.53x at 3.8M, 1.26x at 15M, 1.22x at 23M), ties at 27M and loses at 68M (0.82x).
XLA_DECODE_MAX_PARAMETERS = 24_000_000
# The decoder's input embedding, also the output projection with share_decoder_embeddings.
DECODER_EMBEDDING = "embedding_attention_seq2seq/embedding_attention_decoder/embedding"


def _compute_dtype(mixed_precision: str | None, dtype: tf.DType) -> tf.DType:
    if mixed_precision in (None, "float32"):
        return dtype
    if mixed_precision not in ("bfloat16", "float16"):
        raise ValueError(f"mixed_precision must be None, 'float32', 'bfloat16' or 'float16', "
                         f"got {mixed_precision!r}")
    if dtype != tf.float32:
        raise ValueError(f"mixed_precision={mixed_precision!r} needs float32 variables, got "
                         f"{dtype.name} (--use_fp16 and --mixed_precision exclude each other)")
    return tf.as_dtype(mixed_precision)


@contextlib.contextmanager
def _computing_in(compute_dtype: tf.DType, variable_dtype: tf.DType) -> Iterator[None]:
    """Within, variables requested by the model keep `variable_dtype` and are read as
    `compute_dtype` (a cast the gradient flows through); nothing changes when they agree.

    Embeddings are handed over as they are: the library's lookups cast only the gathered
    rows (`legacy_seq2seq._checks.embed`). Cast whole, each would be read and cast at every
    step, and a gathered variable is in TensorFlow's copy-on-read mode, so the read copies
    it too (on the tutorial's model 2 x 164 MB: 12% of a bfloat16 step on its first bucket).
    """
    if compute_dtype == variable_dtype:
        yield
        return

    def cast_getter(getter, name, *args, **kwargs):
        kwargs["dtype"] = variable_dtype
        variable = getter(name, *args, **kwargs)
        if name.rsplit("/", 1)[-1] == "embedding":
            return variable
        return tf.cast(variable, compute_dtype)

    scope = tf.compat.v1.get_variable_scope()
    with tf.compat.v1.variable_scope(scope, custom_getter=cast_getter,
                                     auxiliary_name_scope=False):
        yield


class _Saver:
    """The original's `model.saver`: `save(sess, path, global_step)` and `restore(sess, path)`."""

    def __init__(self, model: Seq2SeqModel):
        self._model = model

    def save(self, sess: Any, save_path: str, global_step: Any = None) -> str:
        """Saves every variable of the model, crash-safely (see `translate.checkpoints`).

        Args:
          sess: ignored (there is no Session in TF 2); kept for the original's signature.
          save_path: checkpoint prefix, e.g. "train/translate.ckpt".
          global_step: int or variable; when given, "-<step>" is appended to the prefix.

        Returns:
          The prefix written.
        """
        del sess
        if global_step is not None:
            save_path = f"{save_path}-{int(global_step)}"
        return checkpoints.save_checkpoint(self._model.variables_by_name, save_path)

    def restore(self, sess: Any, save_path: str) -> None:
        """Assigns every variable of the model from the checkpoint at `save_path`.

        Args:
          sess: ignored; kept for the original's signature.
          save_path: checkpoint prefix.

        Raises:
          translate.checkpoints.CheckpointMismatchError: the checkpoint was written by a model
            of another configuration (names the variables and both shapes).
        """
        del sess
        checkpoints.restore_checkpoint(
            self._model.variables_by_name, save_path, hint=self._model.config_hint())


class Seq2SeqModel:
    """Sequence-to-sequence model with attention, for multiple buckets.

    A multi-layer GRU (or LSTM) encoder, an attention decoder
    (`legacy_seq2seq.embedding_attention_seq2seq`, run in while loops so that one graph
    serves every bucket), sampled softmax when the target vocabulary is larger than
    `num_samples`, trained by SGD with gradients clipped to a global norm.

    Args:
      source_vocab_size: size of the source vocabulary.
      target_vocab_size: size of the target vocabulary.
      buckets: list of (I, O) pairs, I the largest input length and O the largest output length
        of the bucket, sorted increasingly, e.g. [(2, 4), (8, 16)].
      size: number of units in each layer, also the embedding size.
      num_layers: number of layers.
      max_gradient_norm: gradients are clipped to this global norm.
      batch_size: batch size of `get_batch`; may be changed later (e.g. 1 for decoding).
      learning_rate: initial learning rate.
      learning_rate_decay_factor: `decay_learning_rate` multiplies the rate by this.
      use_lstm: BasicLSTMCell instead of GRUCell.
      num_samples: samples for the sampled softmax (used when 0 < num_samples <
        target_vocab_size, together with the `proj_w`/`proj_b` output projection).
      forward_only: build for decoding: forward steps feed back their own greedy outputs
        (feed_previous) and return projected logits; no training step.
      dtype: dtype of the variables (tf.float32 or tf.float16).
      mixed_precision: None (or "float32"): compute in `dtype`, as the original. "bfloat16"
        or "float16": the training and forward steps compute in that dtype (the variables,
        the loss, the gradient clipping and the update stay in `dtype`); decoding keeps
        `dtype`. "float16" also scales the loss dynamically
        (`translate.train.loss_scale`, the `loss_scale` attribute): a step whose gradients
        overflow is skipped and the scale halved.
      optimizer: "sgd" (the original), "adagrad" or "adam" (`translate.train.optimizers`);
        its slot variables are saved with the model.
      dropout: in training steps only, each RNN layer's inputs and outputs are dropped with
        this probability (0: the original).
      label_smoothing: see `_sequence_crossent` (full softmax only).
      bidirectional_encoder: the encoder reads the sentence in both directions
        (`legacy_seq2seq.embedding_attention_encoder`); new variable names.
      output_projection: with the full softmax too, the decoder outputs `size` units that
        `proj_w`/`proj_b` map to the vocabulary, as with sampled softmax. The original's full
        softmax (False) wraps the cell in an `OutputProjectionWrapper` and maps its
        vocabulary-sized output again to the vocabulary in the attention decoder: two
        vocabulary-sized products per step, which the projection avoids.
      share_decoder_embeddings: the output projection is the decoder's input embedding
        (no `proj_w`); needs an output projection.
      xla_decode: compile greedy decoding (`search` with beam size 1) with XLA
        (`jit_compile`), once per bucket and batch size; False runs it as one TF graph
        for every shape. None (the default) chooses XLA when a decoder step reads at most
        `XLA_DECODE_MAX_PARAMETERS` weights: XLA removes the per-op overhead that dominates
        small models, but multiplies on one core, where TensorFlow's own kernels use them
        all for the large products of a large model.

    Raises:
      ValueError: an unknown `mixed_precision`, "bfloat16" or "float16" with float16
        variables, or `share_decoder_embeddings` without an output projection.
    """

    # Its name in the registry of `translate.models` (the --model flag).
    model_name = "attention_seq2seq"
    # The attention score of every graph (`legacy_seq2seq.ATTENTION_SCORES`): the hook a
    # variant overrides; "additive" is the original's.
    attention_score = "additive"

    def __init__(
        self,
        source_vocab_size: int,
        target_vocab_size: int,
        buckets: Sequence[tuple[int, int]],
        size: int,
        num_layers: int,
        max_gradient_norm: float,
        batch_size: int,
        learning_rate: float,
        learning_rate_decay_factor: float,
        use_lstm: bool = False,
        num_samples: int = 512,
        forward_only: bool = False,
        dtype: tf.DType = tf.float32,
        mixed_precision: str | None = None,
        xla_decode: bool | None = None,
        optimizer: str = "sgd",
        dropout: float = 0.0,
        label_smoothing: float = 0.0,
        bidirectional_encoder: bool = False,
        output_projection: bool = False,
        share_decoder_embeddings: bool = False,
    ):
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.buckets = [tuple(b) for b in buckets]
        self.size = size
        self.num_layers = num_layers
        self.use_lstm = use_lstm
        self.batch_size = batch_size
        self.max_gradient_norm = max_gradient_norm
        self.learning_rate_decay_factor = learning_rate_decay_factor
        self.num_samples = num_samples
        self.forward_only = forward_only
        self.dropout = dropout
        self.label_smoothing = label_smoothing
        self.bidirectional_encoder = bidirectional_encoder
        self.dtype = tf.as_dtype(dtype)
        self.compute_dtype = _compute_dtype(mixed_precision, self.dtype)
        # Only mixed float16 is scaled: --use_fp16 (float16 variables) trains as the original.
        self.loss_scale = (DynamicLossScale() if self.compute_dtype == tf.float16
                           and self.dtype == tf.float32 else None)
        # Created first, as in the original graph, hence its TF 1.x names.
        self.learning_rate = tf.Variable(
            float(learning_rate), trainable=False, dtype=self.dtype, name="Variable")
        self.global_step = tf.Variable(0, trainable=False, dtype=tf.int32, name="Variable_1")
        self.use_sampled_softmax = 0 < num_samples < target_vocab_size
        self.output_projection = self.use_sampled_softmax or output_projection
        if share_decoder_embeddings and not self.output_projection:
            raise ValueError("share_decoder_embeddings needs an output projection: pass "
                             "output_projection=True or use sampled softmax")
        self.share_decoder_embeddings = share_decoder_embeddings
        self._template = seq2seq.Template(self._model, name="seq2seq_model")
        self._search_template = self._reading_template(self._search)
        self._alignment_template = self._reading_template(self._alignment)
        # One eager pass over a length-1 batch creates the variables. Without the loss: the
        # sampled softmax's gather would put proj_w in TensorFlow's copy-on-read mode for
        # good (every gather and scatter of a resource variable does), and every decode
        # call of a decoding model would then copy all of proj_w to read it (164 MB, 39 ms
        # on the tutorial's model).
        self._template(tf.zeros([1, 1], tf.int32), tf.zeros([1, 1], tf.int32), None,
                       feed_previous=forward_only)
        trainable = {name: v for name, v in self._template.variables_by_name.items()
                     if v.trainable}
        self.params = list(trainable.values())
        # Slots exist in a decoding model too, so that it restores a training checkpoint.
        self.optimizer = optimizers.make_optimizer(optimizer, trainable)
        self.saver = _Saver(self)
        # One graph for every bucket: lengths and batch size are dynamic.
        batch_spec = [tf.TensorSpec([None, None], tf.int32, name="encoder"),
                      tf.TensorSpec([None, None], tf.int32, name="decoder"),
                      tf.TensorSpec([None, None], self.dtype, name="weights")]
        # The training step is the trainer's: one engine for `step`, the training loop and
        # every distribution strategy.
        self.trainer = Trainer(self)
        self._forward_function = tf.function(
            self._forward_step, input_signature=batch_spec, autograph=False)
        self._greedy_logits_function = tf.function(
            self._greedy_logits, input_signature=batch_spec[:2], autograph=False)
        self._alignment_function = tf.function(
            self._alignment_template, input_signature=batch_spec[:2], autograph=False)
        if xla_decode is None:
            xla_decode = self.decoder_step_parameters() <= XLA_DECODE_MAX_PARAMETERS
        self.xla_decode = xla_decode
        # Beam size -> the compiled search; greedy (1) is made now, so that it is counted.
        self._search_functions: dict[int, Any] = {}
        self._search_function(1)

    @classmethod
    def from_hparams(cls, hparams: HParams, forward_only: bool) -> Seq2SeqModel:
        """Builds the model the flags describe (see `translate.hparams.HParams`)."""
        hparams.validate()
        return cls(
            hparams.from_vocab_size, hparams.to_vocab_size, hparams.buckets, hparams.size,
            hparams.num_layers, hparams.max_gradient_norm, hparams.batch_size,
            hparams.learning_rate, hparams.learning_rate_decay_factor,
            use_lstm=hparams.use_lstm, num_samples=hparams.num_samples,
            forward_only=forward_only, dtype=hparams.dtype,
            mixed_precision=hparams.mixed_precision,
            xla_decode=XLA_DECODE_CHOICES[hparams.xla_decode], optimizer=hparams.optimizer,
            dropout=hparams.dropout, label_smoothing=hparams.label_smoothing,
            bidirectional_encoder=hparams.bidirectional_encoder,
            output_projection=hparams.output_projection,
            share_decoder_embeddings=hparams.share_decoder_embeddings)

    def decoder_step_parameters(self) -> int:
        """How many weights one decoder step reads: the decoder's cells, attention and output
        projection (the embeddings are only gathered from)."""
        return sum(int(np.prod(v.shape)) for name, v in self.variables_by_name.items()
                   if name.startswith("proj_") or "/attention_decoder/" in name
                   or (self.share_decoder_embeddings and name == DECODER_EMBEDDING))

    @property
    def variables_by_name(self) -> dict[str, tf.Variable]:
        """Every variable under its TF 1.x checkpoint name, in the original's creation order."""
        return {"Variable": self.learning_rate, "Variable_1": self.global_step,
                **self._template.variables_by_name, **self.optimizer.slots}

    def config_hint(self) -> str:
        """What shapes the variables, for error messages about checkpoints of another model."""
        return (
            f"This model was built with size={self.size}, num_layers={self.num_layers}, "
            f"from_vocab_size={self.source_vocab_size}, to_vocab_size={self.target_vocab_size}, "
            f"use_lstm={self.use_lstm}, dtype={self.dtype.name}, "
            f"bidirectional_encoder={self.bidirectional_encoder}, "
            f"optimizer={self.optimizer.name}; pass the --size, --num_layers, "
            "--from_vocab_size, --to_vocab_size (and --use_lstm, --use_fp16, "
            "--bidirectional_encoder, --optimizer) values the checkpoint was trained with" + (
                "" if self.model_name == Seq2SeqModel.model_name else
                f", and its --model (this is --model={self.model_name})"))

    def tracing_counts(self) -> dict[str, int]:
        """How many times each compiled function was traced: 1 once used, whatever the buckets,
        except greedy_search with `xla_decode` (one per bucket and batch size) and beam_search
        (one per beam size).

        Returns:
          {"train": n, "forward": n, "greedy_logits": n, "greedy_search": n, "beam_search": n,
          "alignment": n}.
        """
        functions = {"train": self.trainer.step_function, "forward": self._forward_function,
                     "greedy_logits": self._greedy_logits_function,
                     "greedy_search": self._search_functions[1],
                     "alignment": self._alignment_function}
        counts = {name: f.experimental_get_tracing_count() for name, f in functions.items()}
        counts["beam_search"] = sum(f.experimental_get_tracing_count()
                                    for size, f in self._search_functions.items() if size > 1)
        return counts

    # ----------------------------------------------------------------------------- the graph

    def _make_cell(self, training: bool = False) -> Any:
        def single_cell():
            if self.use_lstm:
                cell = seq2seq.rnn_cell.BasicLSTMCell(self.size)
            else:
                cell = seq2seq.rnn_cell.GRUCell(self.size)
            if training and self.dropout:
                # Holds no variables: the names stay those of the bare cell.
                keep = 1.0 - self.dropout
                cell = seq2seq.rnn_cell.DropoutWrapper(
                    cell, input_keep_prob=keep, output_keep_prob=keep)
            return cell

        if self.num_layers > 1:
            return seq2seq.rnn_cell.MultiRNNCell([single_cell() for _ in range(self.num_layers)])
        return single_cell()

    def _projection_variables(self) -> tuple[tf.Tensor, tf.Tensor] | None:
        """(proj_w [target_vocab, size], proj_b) with an output projection, else None."""
        if not self.output_projection:
            return None
        # The builder's own request for the decoder embedding (same full name) gets this one.
        w_t = tf.compat.v1.get_variable(
            DECODER_EMBEDDING if self.share_decoder_embeddings else "proj_w",
            [self.target_vocab_size, self.size], dtype=self.dtype)
        b = tf.compat.v1.get_variable("proj_b", [self.target_vocab_size], dtype=self.dtype)
        return w_t, b

    def _model(
        self,
        encoder: tf.Tensor,
        decoder: tf.Tensor,
        weights: tf.Tensor | None,
        feed_previous: bool,
        training: bool = False,
    ) -> tuple[tf.Tensor, tf.Tensor | None, tuple[tf.Tensor, tf.Tensor] | None]:
        """The original's model for a batch of any bucket; runs inside the Template.

        Args:
          encoder: int32 [encoder_size, batch].
          decoder: int32 [decoder_size, batch].
          weights: [decoder_size, batch] target weights, or None for no loss.
          feed_previous: feed back the greedy outputs (decoding) instead of `decoder[1:]`.
          training: a training step: dropout and label smoothing apply.

        Returns:
          (outputs, loss, projection): decoder outputs [decoder_size, batch, size] with sampled
          softmax, else [decoder_size, batch, target_vocab] logits; the batch's loss (None
          without weights), as `model_with_buckets` computes it; (proj_w, proj_b) or None.
        """
        projection = self._projection_variables()
        compute_dtype = self.dtype if feed_previous else self.compute_dtype
        with _computing_in(compute_dtype, self.dtype):
            outputs, _ = seq2seq.loop_embedding_attention_seq2seq(
                encoder, decoder, self._make_cell(training),
                num_encoder_symbols=self.source_vocab_size,
                num_decoder_symbols=self.target_vocab_size,
                embedding_size=self.size,
                output_projection=_output_projection(projection),
                feed_previous=feed_previous,
                dtype=compute_dtype,
                attention_score=self.attention_score,
                bidirectional_encoder=self.bidirectional_encoder,
            )
        if weights is None:
            return outputs, None, projection
        # Targets are the decoder inputs shifted by one; the last target is padding (0).
        targets = tf.concat([decoder[1:], tf.zeros_like(decoder[:1])], 0)
        num_samples = self.num_samples if self.use_sampled_softmax else 0
        crossent = _sequence_crossent(outputs, targets, projection, num_samples,
                                      self.target_vocab_size, self.dtype,
                                      self.label_smoothing if training else 0.0, weights)
        return outputs, seq2seq.stacked_sequence_loss(crossent, weights), projection

    def _reading_template(self, fn: Any) -> Any:
        """`fn` bound to the model's Template (`Template.bind`), refusing to create variables.

        A decoding graph must read the variables the model's graph made; a request for any
        other variable (a graph that does not match the model) is an error at trace time.
        """
        bound = self._template.bind(fn, name=f"seq2seq_model{fn.__name__}")

        def reading(*args: Any) -> Any:
            known = set(self._template.variables_by_name)
            result = bound(*args)
            created = sorted(set(self._template.variables_by_name) - known)
            if created:
                raise ValueError(
                    f"{type(self).__name__}.{fn.__name__} asked for variables the model's own "
                    f"graph does not have: {', '.join(created)}; a decoding graph must build "
                    "the model's cell, scopes and attention exactly as `_model` does")
            return result

        return reading

    def _search(self, encoder: tf.Tensor, max_length: tf.Tensor | int,
                beam_size: int) -> seq2seq.DecodeResult:
        """Greedy decoding (beam size 1) or beam search, in a while loop that stops once every
        hypothesis has emitted EOS; runs inside the model's Template.

        Greedy decoding makes the original's choices (the argmax of each step's logits, fed
        back), although the original ran all `max_length` steps.

        Args:
          encoder: int32 [encoder_size, batch], as `get_batch` lays it out.
          max_length: the most target tokens (the bucket's decoder length).
          beam_size: hypotheses kept per sentence (a Python int).

        Returns:
          A `legacy_seq2seq.DecodeResult` with the beam axis: tokens [batch, beam_size,
          max_length], log_probs and lengths [batch, beam_size], best first; hypothesis
          (b, k) is `tokens[b, k, :lengths[b, k]]`, cut before EOS.
        """
        return seq2seq.embedding_attention_beam_search(
            encoder, self._make_cell(), self.source_vocab_size, self.target_vocab_size,
            self.size, beam_size=beam_size, max_length=max_length,
            output_projection=_output_projection(self._projection_variables()),
            go_id=data_utils.GO_ID, eos_id=data_utils.EOS_ID, dtype=self.dtype,
            attention_score=self.attention_score,
            bidirectional_encoder=self.bidirectional_encoder)

    def _alignment(self, encoder: tf.Tensor, decoder: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The model reading `decoder` (teacher forcing): logits and attention weights.

        The loop model of `_model`, with its encoder and decoder called apart so that the
        decoder also returns its weights; runs inside the model's Template.

        Returns:
          (logits float32 [decoder_size, batch, target_vocab], weights float32
          [decoder_size, batch, encoder_size]).
        """
        projection = self._projection_variables()
        cell = self._make_cell()
        with tf.compat.v1.variable_scope("embedding_attention_seq2seq", dtype=self.dtype):
            attention_states, state = seq2seq.embedding_attention_encoder(
                encoder, cell, self.source_vocab_size, self.size, self.dtype,
                bidirectional=self.bidirectional_encoder)
            output_size = None
            if projection is None:
                cell = seq2seq.rnn_cell.OutputProjectionWrapper(cell, self.target_vocab_size)
                output_size = self.target_vocab_size
            outputs, _, weights = seq2seq.loop_embedding_attention_decoder(
                decoder, state, attention_states, cell, self.target_vocab_size, self.size,
                output_size=output_size, output_projection=_output_projection(projection),
                return_attention_weights=True, attention_score=self.attention_score)
        # Weights are [time, heads, batch, attn_length]; the model has one head.
        return (tf.cast(_project(outputs, projection), tf.float32),
                tf.cast(weights[:, 0], tf.float32))

    def _search_function(self, beam_size: int) -> Any:
        """The compiled `_search` for `beam_size`, made on first use."""
        function = self._search_functions.get(beam_size)
        if function is not None:
            return function

        def search(encoder: tf.Tensor, max_length: tf.Tensor) -> seq2seq.DecodeResult:
            return self._search_template(encoder, max_length, beam_size)

        if beam_size == 1 and self.xla_decode:
            # XLA fuses the decoder loop into one compiled program (1.5x the sentences/s of
            # config S on 2 CPU cores). It compiles per input shape, so the function is
            # traced per bucket and batch size.
            function = tf.function(search, autograph=False, jit_compile=True)
        else:
            function = tf.function(search, autograph=False, input_signature=[
                tf.TensorSpec([None, None], tf.int32, name="encoder"),
                tf.TensorSpec([], tf.int32, name="max_length")])
        self._search_functions[beam_size] = function
        return function

    def compute_gradients(
        self, bucket_id: int | None, encoder: tf.Tensor, decoder: tf.Tensor, weights: tf.Tensor
    ) -> tuple[tf.Tensor, list[tf.Tensor | tf.IndexedSlices]]:
        """Loss of a batch (teacher forcing) and its gradients; changes no variable.

        A pure function of the batch, so a `tf.distribute` strategy can run it per replica.

        Args:
          bucket_id: the bucket the batch belongs to, or None (the graph is the same for
            every bucket; the lengths come from the tensors).
          encoder: int32 [encoder_size, batch].
          decoder: int32 [decoder_size, batch].
          weights: [decoder_size, batch] of the model's dtype.

        Returns:
          (loss, gradients): the scalar loss and one gradient per entry of `self.params`
          (`tf.IndexedSlices` for embeddings). With a `loss_scale`, the gradients are those
          of the scaled loss divided by the scale again: inf or NaN where float16 overflowed.
        """
        del bucket_id
        with tf.GradientTape() as tape:
            _, loss, _ = self._template(encoder, decoder, weights, feed_previous=False,
                                        training=True)
            scaled = loss if self.loss_scale is None else self.loss_scale.scale_loss(loss)
        gradients = tape.gradient(scaled, self.params)
        if self.loss_scale is not None:
            gradients = self.loss_scale.unscale(gradients)
        return loss, gradients

    def apply_gradients(self, gradients: Sequence[tf.Tensor | tf.IndexedSlices]) -> tf.Tensor:
        """Clips `gradients` to `max_gradient_norm` globally, applies the optimizer (SGD, as
        the original, unless built with another), increments the step.

        Args:
          gradients: one per entry of `self.params`.

        Returns:
          The global norm of the gradients before clipping.
        """
        clipped, norm = tf.clip_by_global_norm(list(gradients), self.max_gradient_norm)
        self.optimizer.apply(clipped, self.learning_rate, self.global_step)
        self.global_step.assign_add(1)
        return norm

    def _forward_step(self, encoder: tf.Tensor, decoder: tf.Tensor,
                      weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        outputs, loss, projection = self._template(
            encoder, decoder, weights, feed_previous=self.forward_only)
        if self.forward_only:
            outputs = _project(outputs, projection)
        return loss, outputs

    def _greedy_logits(self, encoder: tf.Tensor, decoder: tf.Tensor) -> tf.Tensor:
        outputs, _, projection = self._template(encoder, decoder, None, feed_previous=True)
        return _project(outputs, projection)

    # ------------------------------------------------------------------ the original's API

    def step(
        self,
        session: Any,
        encoder_inputs: Sequence[np.ndarray],
        decoder_inputs: Sequence[np.ndarray],
        target_weights: Sequence[np.ndarray],
        bucket_id: int,
        forward_only: bool,
    ) -> tuple[np.ndarray | None, np.ndarray, list[np.ndarray] | None]:
        """Runs a training step, or a forward step, on one batch.

        Args:
          session: ignored (there is no Session); kept so that original code runs unchanged.
          encoder_inputs: `encoder_size` int vectors [batch] (from `get_batch`).
          decoder_inputs: `decoder_size` int vectors [batch].
          target_weights: `decoder_size` float vectors [batch].
          bucket_id: the bucket of the batch.
          forward_only: True: compute loss and outputs only; False: also apply one SGD update.

        Returns:
          (gradient_norm, loss, outputs): for a training step (norm, loss, None); for a forward
          step (None, loss, outputs) with outputs a list of `decoder_size` arrays: logits
          [batch, target_vocab] in a model built with forward_only=True, the decoder's raw
          outputs (teacher-forced, [batch, size] with sampled softmax) otherwise, as in the
          original.

        Raises:
          ValueError: a length differs from the bucket's, or a training step is asked of a
            model built with forward_only=True.
        """
        del session
        encoder_size, decoder_size = self.buckets[bucket_id]
        if len(encoder_inputs) != encoder_size:
            raise ValueError("Encoder length must be equal to the one in bucket,"
                             f" {len(encoder_inputs)} != {encoder_size}.")
        if len(decoder_inputs) != decoder_size:
            raise ValueError("Decoder length must be equal to the one in bucket,"
                             f" {len(decoder_inputs)} != {decoder_size}.")
        if len(target_weights) != decoder_size:
            raise ValueError("Weights length must be equal to the one in bucket,"
                             f" {len(target_weights)} != {decoder_size}.")
        encoder = np.asarray(encoder_inputs, dtype=np.int32)
        decoder = np.asarray(decoder_inputs, dtype=np.int32)
        weights = np.asarray(target_weights, dtype=self.dtype.as_numpy_dtype)
        if not forward_only:
            if self.forward_only:
                raise ValueError("this model was built with forward_only=True (for decoding) "
                                 "and cannot take a training step")
            result = self.trainer.step(encoder, decoder, weights, bucket_id)
            return result.gradient_norm, result.loss, None
        loss, outputs = self._forward_function(encoder, decoder, weights)
        return None, loss.numpy(), list(outputs.numpy())

    def greedy_logits(
        self,
        encoder_inputs: Sequence[np.ndarray],
        decoder_inputs: Sequence[np.ndarray],
        bucket_id: int,
    ) -> list[np.ndarray]:
        """The logits of the original's greedy decoding graph, as `step(..., forward_only=True)`
        of a forward-only model returns them, without computing a loss (a smaller graph,
        traced faster). Decoding itself is `search`, which stops at EOS.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch].
          decoder_inputs: `decoder_size` int vectors [batch]; only the first (GO) is read.
          bucket_id: the bucket of the batch.

        Returns:
          `decoder_size` arrays of logits [batch, target_vocab].
        """
        del bucket_id
        encoder = np.asarray(encoder_inputs, dtype=np.int32)
        decoder = np.asarray(decoder_inputs, dtype=np.int32)
        return list(self._greedy_logits_function(encoder, decoder).numpy())

    def search(
        self, encoder_inputs: Sequence[np.ndarray] | np.ndarray, bucket_id: int,
        beam_size: int = 1,
    ) -> seq2seq.DecodeResult:
        """Decodes a batch: greedily (`beam_size` 1) or by beam search; every decode runs here.

        The loop stops once every hypothesis has emitted EOS. Greedy decoding gives the
        original's outputs (the argmax at each position of `greedy_logits`, cut before the
        first EOS_ID) and is compiled by XLA when `xla_decode` is set.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch] (from `get_batch`), or the same
            as one array [encoder_size, batch].
          bucket_id: the bucket of the batch (its decoder length bounds the outputs).
          beam_size: hypotheses kept per sentence, 1 to the target vocabulary size.

        Returns:
          A `legacy_seq2seq.DecodeResult` of numpy arrays: tokens [batch, beam_size,
          decoder_size], scores, log_probs and lengths [batch, beam_size], best first.

        Raises:
          ValueError: `beam_size` out of range.
        """
        if not 1 <= beam_size <= self.target_vocab_size:
            raise ValueError(f"beam size must be between 1 and the target vocabulary size "
                             f"({self.target_vocab_size}), got {beam_size}")
        encoder = np.asarray(encoder_inputs, dtype=np.int32)
        # A Python constant: XLA sizes the buffers with it (the other graphs take a tensor).
        max_length = int(self.buckets[bucket_id][1])
        result = self._search_function(beam_size)(encoder, max_length)
        return seq2seq.DecodeResult(*(field.numpy() for field in result))

    def greedy_search(
        self, encoder_inputs: Sequence[np.ndarray], bucket_id: int
    ) -> list[list[int]]:
        """`search` with beam size 1, as token-id lists.

        Args:
          encoder_inputs: `encoder_size` int vectors [batch] (from `get_batch`).
          bucket_id: the bucket of the batch (its decoder length bounds the outputs).

        Returns:
          Per sentence, its output token ids (without EOS).
        """
        result = self.search(encoder_inputs, bucket_id)
        return [row[0, :length[0]].tolist() for row, length in zip(result.tokens, result.lengths)]

    def search_graph(self, encoder: tf.Tensor, max_length: tf.Tensor | int,
                     beam_size: int) -> seq2seq.DecodeResult:
        """`search`'s graph, to build into another graph (e.g. the SavedModel's function).

        Args:
          encoder: int32 [encoder_size, batch] tensor, laid out as `get_batch` does.
          max_length: the most target tokens (the bucket's decoder length).
          beam_size: hypotheses kept per sentence.

        Returns:
          A `legacy_seq2seq.DecodeResult` of tensors, as `search` returns them.
        """
        return self._search_template(encoder, max_length, beam_size)

    def alignment(
        self, encoder_inputs: Sequence[np.ndarray] | np.ndarray,
        decoder_inputs: Sequence[np.ndarray] | np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The model reading given targets (teacher forcing): logits and attention weights.

        Args:
          encoder_inputs: int [encoder_size, batch], as `get_batch` lays it out.
          decoder_inputs: int [decoder_size, batch]: GO, the target tokens, then anything
            (padding).

        Returns:
          (logits float32 [decoder_size, batch, target_vocab], weights float32
          [decoder_size, batch, encoder_size]): row t of the weights is the attention with
          which the model scores the token at decoder position t + 1; each row sums to 1.
        """
        logits, weights = self._alignment_function(np.asarray(encoder_inputs, dtype=np.int32),
                                                   np.asarray(decoder_inputs, dtype=np.int32))
        return logits.numpy(), weights.numpy()

    def get_batch(
        self, data: batching.BucketedData, bucket_id: int, batch_size: int | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """A random batch of `self.batch_size` pairs of one bucket, laid out for `step`.

        Args:
          data: per bucket id, a list of (source ids, target ids) pairs.
          bucket_id: the bucket to draw from.
          batch_size: pairs in this batch instead of `self.batch_size` (`--batch_tokens`).

        Returns:
          (encoder_inputs, decoder_inputs, target_weights): see `translate.batching`.
        """
        return batching.get_batch(data, bucket_id, self.buckets,
                                  batch_size or self.batch_size)

    def decay_learning_rate(self) -> None:
        """Multiplies the learning rate by `learning_rate_decay_factor` (the original's
        `learning_rate_decay_op`)."""
        self.learning_rate.assign(self.learning_rate * self.learning_rate_decay_factor)


def _output_projection(
    projection: tuple[tf.Tensor, tf.Tensor] | None
) -> tuple[tf.Tensor, tf.Tensor] | None:
    """The decoder's `output_projection` from (proj_w, proj_b): W is proj_w's transpose,
    multiplied as such (decoding used to copy the transpose, 164 MB for L, at every call)."""
    if projection is None:
        return None
    w_t, b = projection
    return seq2seq.TransposedProjection(w_t, b)


def _project(outputs: tf.Tensor, projection: tuple[tf.Tensor, tf.Tensor] | None) -> tf.Tensor:
    """Decoder outputs [..., size] to logits [..., vocab] through (proj_w, proj_b), if any."""
    if projection is None:
        return outputs
    w_t, b = projection
    # One 2-D MatMul: TensorFlow's CPU Einsum of this shape (and its gradient) is several
    # times slower than MatMul, and it is the largest product of a full-softmax step.
    shape = tf.shape(outputs)
    logits = tf.matmul(tf.reshape(outputs, [-1, shape[-1]]), w_t, transpose_b=True)
    return tf.reshape(tf.nn.bias_add(logits, b), tf.concat([shape[:-1], [-1]], 0))


def checkpoint_prefix(train_dir: str) -> str:
    """The original's checkpoint path, `<train_dir>/translate.ckpt`."""
    return os.path.join(train_dir, "translate.ckpt")
