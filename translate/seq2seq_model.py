"""The tutorial's sequence-to-sequence model with attention and buckets, in TF 2.

Same constructor, `get_batch` and `step` as the original `seq2seq_model.Seq2SeqModel`, and the
same variables under the same names, so the original's checkpoints restore by name:

  Variable                           learning rate (float32, float16 with use_fp16)
  Variable_1                         global step (int32)
  proj_w [target_vocab, size]        output projection, only with sampled softmax
  proj_b [target_vocab]
  embedding_attention_seq2seq/...    encoder, decoder, attention (legacy_seq2seq)

There is no Session: each bucket gets one compiled `tf.function` for the training step and one
for the forward step, traced on first use. `step` accepts and ignores a `session` argument so
that code written for the original runs unchanged.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

import legacy_seq2seq as seq2seq
from translate import batching, checkpoints
from translate.hparams import HParams


def _sampled_softmax_loss(
    w_t: tf.Tensor,
    b: tf.Tensor,
    num_samples: int,
    num_classes: int,
    dtype: tf.DType,
    labels: tf.Tensor,
    logits: tf.Tensor,
) -> tf.Tensor:
    """Sampled softmax loss of decoder outputs `logits` [batch, size] for `labels` [batch].

    Computed in float32 whatever the model's dtype (float16 is unstable here), then cast back.
    """
    labels = tf.reshape(labels, [-1, 1])
    return tf.cast(
        tf.nn.sampled_softmax_loss(
            weights=tf.cast(w_t, tf.float32),
            biases=tf.cast(b, tf.float32),
            labels=labels,
            inputs=tf.cast(logits, tf.float32),
            num_sampled=num_samples,
            num_classes=num_classes,
        ),
        dtype,
    )


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
    (`legacy_seq2seq.embedding_attention_seq2seq`) built per bucket by
    `legacy_seq2seq.model_with_buckets`, sampled softmax when the target vocabulary is larger
    than `num_samples`, trained by SGD with gradients clipped to a global norm.

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
    """

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
        self.dtype = tf.as_dtype(dtype)
        # Created first, as in the original graph, hence its TF 1.x names.
        self.learning_rate = tf.Variable(
            float(learning_rate), trainable=False, dtype=self.dtype, name="Variable")
        self.global_step = tf.Variable(0, trainable=False, dtype=tf.int32, name="Variable_1")
        self.use_sampled_softmax = 0 < num_samples < target_vocab_size
        self._template = seq2seq.Template(self._bucket_model, name="seq2seq_model")
        self._forward_steps: dict[int, tf.types.experimental.GenericFunction] = {}
        self._train_steps: dict[int, tf.types.experimental.GenericFunction] = {}
        self._greedy_steps: dict[int, tf.types.experimental.GenericFunction] = {}
        # One eager pass over the smallest bucket creates the variables.
        encoder_size, decoder_size = self.buckets[0]
        self._run_bucket(
            self.buckets[0],
            tf.zeros([encoder_size, 1], tf.int32),
            tf.zeros([decoder_size, 1], tf.int32),
            tf.zeros([decoder_size, 1], self.dtype),
            feed_previous=forward_only,
        )
        self.params = [v for v in self._template.variables_by_name.values() if v.trainable]
        self.saver = _Saver(self)

    @classmethod
    def from_hparams(cls, hparams: HParams, forward_only: bool) -> Seq2SeqModel:
        """Builds the model the flags describe (see `translate.hparams.HParams`)."""
        hparams.validate()
        return cls(
            hparams.from_vocab_size, hparams.to_vocab_size, hparams.buckets, hparams.size,
            hparams.num_layers, hparams.max_gradient_norm, hparams.batch_size,
            hparams.learning_rate, hparams.learning_rate_decay_factor,
            use_lstm=hparams.use_lstm, num_samples=hparams.num_samples,
            forward_only=forward_only, dtype=hparams.dtype)

    @property
    def variables_by_name(self) -> dict[str, tf.Variable]:
        """Every variable under its TF 1.x checkpoint name, in the original's creation order."""
        return {"Variable": self.learning_rate, "Variable_1": self.global_step,
                **self._template.variables_by_name}

    def config_hint(self) -> str:
        """What shapes the variables, for error messages about checkpoints of another model."""
        return (
            f"This model was built with size={self.size}, num_layers={self.num_layers}, "
            f"from_vocab_size={self.source_vocab_size}, to_vocab_size={self.target_vocab_size}, "
            f"use_lstm={self.use_lstm}, dtype={self.dtype.name}; pass the --size, --num_layers, "
            "--from_vocab_size, --to_vocab_size (and --use_lstm, --use_fp16) values the "
            "checkpoint was trained with")

    # ----------------------------------------------------------------------------- the graph

    def _make_cell(self) -> Any:
        def single_cell():
            if self.use_lstm:
                return seq2seq.rnn_cell.BasicLSTMCell(self.size)
            return seq2seq.rnn_cell.GRUCell(self.size)

        if self.num_layers > 1:
            return seq2seq.rnn_cell.MultiRNNCell([single_cell() for _ in range(self.num_layers)])
        return single_cell()

    def _bucket_model(
        self,
        encoder_inputs: list[tf.Tensor],
        decoder_inputs: list[tf.Tensor],
        targets: list[tf.Tensor] | None,
        weights: list[tf.Tensor] | None,
        bucket: tuple[int, int],
        feed_previous: bool,
    ) -> tuple[list[tf.Tensor], tf.Tensor | None, tuple[tf.Tensor, tf.Tensor] | None]:
        """The original graph for one bucket; runs inside the Template that owns the variables.

        With `targets` None only the decoder outputs are built (no loss): the greedy decoder's
        graph, much smaller than the original's with its per-position sampled softmax.

        Returns:
          (outputs, loss, output_projection): the decoder outputs ([batch, size] with the
          projection, else [batch, target_vocab] logits), the bucket's loss (None without
          targets), and (w, b) or None.
        """
        output_projection = None
        softmax_loss_function = None
        if self.use_sampled_softmax:
            w_t = tf.compat.v1.get_variable(
                "proj_w", [self.target_vocab_size, self.size], dtype=self.dtype)
            b = tf.compat.v1.get_variable("proj_b", [self.target_vocab_size], dtype=self.dtype)
            output_projection = (tf.transpose(w_t), b)
            softmax_loss_function = functools.partial(
                _sampled_softmax_loss, w_t, b, self.num_samples, self.target_vocab_size,
                self.dtype)

        def seq2seq_f(encoder, decoder):
            return seq2seq.embedding_attention_seq2seq(
                encoder,
                decoder,
                self._make_cell(),
                num_encoder_symbols=self.source_vocab_size,
                num_decoder_symbols=self.target_vocab_size,
                embedding_size=self.size,
                output_projection=output_projection,
                feed_previous=feed_previous,
                dtype=self.dtype,
            )

        if targets is None:
            outputs, _ = seq2seq_f(encoder_inputs, decoder_inputs)
            return outputs, None, output_projection
        outputs, losses = seq2seq.model_with_buckets(
            encoder_inputs, decoder_inputs, targets, weights, [bucket], seq2seq_f,
            softmax_loss_function=softmax_loss_function)
        return outputs[0], losses[0], output_projection

    def _run_bucket(
        self,
        bucket: tuple[int, int],
        encoder: tf.Tensor,
        decoder: tf.Tensor,
        weights: tf.Tensor,
        feed_previous: bool,
    ) -> tuple[list[tf.Tensor], tf.Tensor, tuple[tf.Tensor, tf.Tensor] | None]:
        """Time-major tensors [length, batch] in, the bucket's outputs and loss out."""
        encoder_inputs = tf.unstack(encoder, num=bucket[0])
        decoder_inputs = tf.unstack(decoder, num=bucket[1])
        # Targets are the decoder inputs shifted by one; the last target is padding (0).
        targets = decoder_inputs[1:] + [tf.zeros_like(decoder_inputs[0])]
        return self._template(encoder_inputs, decoder_inputs, targets,
                              tf.unstack(weights, num=bucket[1]), bucket, feed_previous)

    def _signature(self, bucket_id: int) -> list[tf.TensorSpec]:
        encoder_size, decoder_size = self.buckets[bucket_id]
        return [tf.TensorSpec([encoder_size, None], tf.int32, name="encoder"),
                tf.TensorSpec([decoder_size, None], tf.int32, name="decoder"),
                tf.TensorSpec([decoder_size, None], self.dtype, name="weights")]

    def compute_gradients(
        self, bucket_id: int, encoder: tf.Tensor, decoder: tf.Tensor, weights: tf.Tensor
    ) -> tuple[tf.Tensor, list[tf.Tensor | tf.IndexedSlices]]:
        """Loss of a batch (teacher forcing) and its gradients; changes no variable.

        A pure function of the batch, so a `tf.distribute` strategy can run it per replica.

        Args:
          bucket_id: the bucket the batch belongs to.
          encoder: int32 [encoder_size, batch].
          decoder: int32 [decoder_size, batch].
          weights: [decoder_size, batch] of the model's dtype.

        Returns:
          (loss, gradients): the scalar loss and one gradient per entry of `self.params`
          (`tf.IndexedSlices` for embeddings).
        """
        with tf.GradientTape() as tape:
            _, loss, _ = self._run_bucket(
                self.buckets[bucket_id], encoder, decoder, weights, feed_previous=False)
        return loss, tape.gradient(loss, self.params)

    def apply_gradients(self, gradients: Sequence[tf.Tensor | tf.IndexedSlices]) -> tf.Tensor:
        """Clips `gradients` to `max_gradient_norm` globally, applies SGD, increments the step.

        Sparse gradients are summed per index first and applied with a scatter, as TF 1.x's
        GradientDescentOptimizer did for the original's variables.

        Args:
          gradients: one per entry of `self.params`.

        Returns:
          The global norm of the gradients before clipping.
        """
        clipped, norm = tf.clip_by_global_norm(list(gradients), self.max_gradient_norm)
        for var, grad in zip(self.params, clipped):
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices):
                indices, positions = tf.unique(grad.indices)
                values = tf.math.unsorted_segment_sum(
                    grad.values, positions, tf.shape(indices)[0])
                var.scatter_sub(tf.IndexedSlices(
                    values * tf.cast(self.learning_rate, values.dtype), indices))
            else:
                tf.raw_ops.ResourceApplyGradientDescent(
                    var=var.handle, alpha=tf.cast(self.learning_rate, var.dtype), delta=grad)
        self.global_step.assign_add(1)
        return norm

    def _train_step(self, bucket_id: int) -> tf.types.experimental.GenericFunction:
        if bucket_id not in self._train_steps:
            def train_step(encoder, decoder, weights):
                loss, gradients = self.compute_gradients(bucket_id, encoder, decoder, weights)
                return self.apply_gradients(gradients), loss

            self._train_steps[bucket_id] = tf.function(
                train_step, input_signature=self._signature(bucket_id), autograph=False)
        return self._train_steps[bucket_id]

    def _forward_step(self, bucket_id: int) -> tf.types.experimental.GenericFunction:
        if bucket_id not in self._forward_steps:
            def forward_step(encoder, decoder, weights):
                outputs, loss, projection = self._run_bucket(
                    self.buckets[bucket_id], encoder, decoder, weights,
                    feed_previous=self.forward_only)
                if self.forward_only:
                    outputs = _project(outputs, projection)
                return loss, tf.stack(outputs)

            self._forward_steps[bucket_id] = tf.function(
                forward_step, input_signature=self._signature(bucket_id), autograph=False)
        return self._forward_steps[bucket_id]

    def _greedy_step(self, bucket_id: int) -> tf.types.experimental.GenericFunction:
        if bucket_id not in self._greedy_steps:
            def greedy_step(encoder, decoder):
                encoder_size, decoder_size = self.buckets[bucket_id]
                outputs, _, projection = self._template(
                    tf.unstack(encoder, num=encoder_size), tf.unstack(decoder, num=decoder_size),
                    None, None, self.buckets[bucket_id], True)
                return tf.stack(_project(outputs, projection))

            self._greedy_steps[bucket_id] = tf.function(
                greedy_step, input_signature=self._signature(bucket_id)[:2], autograph=False)
        return self._greedy_steps[bucket_id]

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
            norm, loss = self._train_step(bucket_id)(encoder, decoder, weights)
            return norm.numpy(), loss.numpy(), None
        loss, outputs = self._forward_step(bucket_id)(encoder, decoder, weights)
        return None, loss.numpy(), list(outputs.numpy())

    def greedy_logits(
        self,
        encoder_inputs: Sequence[np.ndarray],
        decoder_inputs: Sequence[np.ndarray],
        bucket_id: int,
    ) -> list[np.ndarray]:
        """The logits of greedy decoding, as `step(..., forward_only=True)` of a forward-only
        model returns them, without computing a loss (a smaller graph, traced faster).

        Args:
          encoder_inputs: `encoder_size` int vectors [batch].
          decoder_inputs: `decoder_size` int vectors [batch]; only the first (GO) is read.
          bucket_id: the bucket of the batch.

        Returns:
          `decoder_size` arrays of logits [batch, target_vocab].
        """
        encoder = np.asarray(encoder_inputs, dtype=np.int32)
        decoder = np.asarray(decoder_inputs, dtype=np.int32)
        return list(self._greedy_step(bucket_id)(encoder, decoder).numpy())

    def get_batch(
        self, data: batching.BucketedData, bucket_id: int
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """A random batch of `self.batch_size` pairs of one bucket, laid out for `step`.

        Args:
          data: per bucket id, a list of (source ids, target ids) pairs.
          bucket_id: the bucket to draw from.

        Returns:
          (encoder_inputs, decoder_inputs, target_weights): see `translate.batching`.
        """
        return batching.get_batch(data, bucket_id, self.buckets, self.batch_size)

    def decay_learning_rate(self) -> None:
        """Multiplies the learning rate by `learning_rate_decay_factor` (the original's
        `learning_rate_decay_op`)."""
        self.learning_rate.assign(self.learning_rate * self.learning_rate_decay_factor)


def _project(
    outputs: list[tf.Tensor], projection: tuple[tf.Tensor, tf.Tensor] | None
) -> list[tf.Tensor]:
    """Decoder outputs to logits through the output projection (identity without one)."""
    if projection is None:
        return outputs
    w, b = projection
    return [tf.matmul(output, w) + b for output in outputs]


def checkpoint_prefix(train_dir: str) -> str:
    """The original's checkpoint path, `<train_dir>/translate.ckpt`."""
    return os.path.join(train_dir, "translate.ckpt")
