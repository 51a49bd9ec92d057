"""What a translation model provides to be built, trained, decoded and exported.

`TranslationModel` is the seam between the models (`translate.models`) and everything that
uses one: the command line builds it with `from_hparams`; the trainer's step engine calls
the part it shares with `translate.train.trainer.TrainableModel` (`compute_gradients`,
`apply_gradients`, `dtype`, `global_step`), the original's loop (`translate.train.loop`)
the original's API (`get_batch`, `step`, `decay_learning_rate`, the learning rate), and
`translate.model_setup` saves and restores `variables_by_name`; `translate.infer` decodes
with it (interactive, batched, evaluation, attention plots) and exports it. Nothing outside
the model builds a graph over its variables: each of those graphs is one of its methods.

`Seq2SeqModel` (translate/seq2seq_model.py) implements it; a variant usually subclasses it
and overrides one hook (`LuongAttentionSeq2SeqModel` overrides `attention_score`). A model
with other graphs implements the methods below with the same shapes and meanings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import tensorflow as tf

import legacy_seq2seq as seq2seq
from translate.batching import BucketedData
from translate.hparams import HParams
from translate.train.trainer import TrainableModel


class TranslationModel(TrainableModel, Protocol):
    """The interface; see the module docstring. Batches are time-major, laid out as
    `translate.batching` does (encoder padded and reversed, decoder GO-prefixed). With
    `TrainableModel`'s `dtype`, `global_step`, `compute_gradients` and `apply_gradients`.

    Attributes:
      model_name: its name in `translate.models.MODELS` (the --model flag).
      buckets: (encoder length, decoder length) pairs, increasing.
      source_vocab_size, target_vocab_size: the vocabulary sizes.
      batch_size: sentences per `get_batch` batch (settable).
      learning_rate: the learning-rate variable ("Variable" in checkpoints).
      saver: `save(sess, path, global_step)` and `restore(sess, path)`, as the original's.
    """

    model_name: str
    buckets: list[tuple[int, int]]
    source_vocab_size: int
    target_vocab_size: int
    batch_size: int
    learning_rate: tf.Variable
    saver: Any

    # ------------------------------------------------------------------ building, saving
    @classmethod
    def from_hparams(cls, hparams: HParams, forward_only: bool) -> TranslationModel:
        """The model of `hparams` (`forward_only`: for decoding), variables created."""

    @property
    def variables_by_name(self) -> dict[str, tf.Variable]:
        """Every variable under its checkpoint name (what is saved and restored)."""

    def config_hint(self) -> str:
        """The flags that shape the variables, for errors about checkpoints of another model."""

    # ------------------------------------------------------------------ training
    def get_batch(self, data: BucketedData, bucket_id: int, batch_size: int | None = None
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """A random batch of one bucket (`batch_size` pairs, default `self.batch_size`):
        (encoder, decoder, target weights) lists."""

    def step(self, session: Any, encoder_inputs: Sequence[np.ndarray],
             decoder_inputs: Sequence[np.ndarray], target_weights: Sequence[np.ndarray],
             bucket_id: int, forward_only: bool
             ) -> tuple[np.ndarray | None, np.ndarray, list[np.ndarray] | None]:
        """The original's step: a training step, or the loss (dev perplexity) and outputs."""

    def decay_learning_rate(self) -> None:
        """Multiplies the learning rate by its decay factor."""

    # ------------------------------------------------------------------ decoding, export
    def search(self, encoder_inputs: Sequence[np.ndarray] | np.ndarray, bucket_id: int,
               beam_size: int = 1) -> seq2seq.DecodeResult:
        """Greedy decoding (beam size 1) or beam search of a batch, as numpy arrays:
        tokens [batch, beam, decoder length], log_probs and lengths [batch, beam]."""

    def greedy_search(self, encoder_inputs: Sequence[np.ndarray], bucket_id: int
                      ) -> list[list[int]]:
        """`search` with beam size 1, per sentence its token ids (EOS cut)."""

    def search_graph(self, encoder: tf.Tensor, max_length: tf.Tensor | int,
                     beam_size: int) -> seq2seq.DecodeResult:
        """`search` as tensors, inside another graph (the SavedModel export)."""

    def alignment(self, encoder_inputs: Sequence[np.ndarray] | np.ndarray,
                  decoder_inputs: Sequence[np.ndarray] | np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Teacher-forced logits [time, batch, vocab] and attention weights
        [time, batch, encoder length] (attention plots and summaries)."""
