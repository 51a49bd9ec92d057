"""TensorBoard summaries of training (opt-in: `--tensorboard`).

At every checkpoint, one event file in `--train_dir` (view with
`tensorboard --logdir <train_dir>`) gets, at the global step:

  train/loss, train/perplexity      the interval's mean loss, as the log line prints it
  train/learning_rate               the learning rate used during the interval
  train/step_time                   seconds per step
  train/tokens_per_second           source and target tokens (no padding) per second
                                    (single-device training)
  eval/perplexity_bucket_<b>        the dev-batch perplexity of bucket b, as logged
  attention/dev_sentence            image: the attention heatmap of a fixed dev sentence

and at every validation (`--steps_per_validation`, see `translate.train.validation`):

  dev/bleu, dev/chrf                sacreBLEU scores of the dev set's translations

The fixed dev sentence is the first one of the dev bucket holding most sentences; the
heatmap shows the model reading its reference translation (teacher forcing), so the axes
stay the same from checkpoint to checkpoint. Drawing needs matplotlib (extra "plot");
without it the scalars are still written.

The events are written with TensorFlow's own `tf.summary.write` and the metadata of
TensorBoard's scalar and image plugins, so the `tensorboard` package is needed to view
them, not to write them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from data_utils import EOS_ID, PAD_ID
from translate import batching
from translate.infer import attention_plot
from translate.infer.codec import Codec, SubwordCodec, WordCodec
from translate.models import TranslationModel

ATTENTION_TAG = "attention/dev_sentence"


def _metadata(plugin_name: str, data_class: int) -> summary_pb2.SummaryMetadata:
    """What TensorBoard's own `scalar`/`image` summaries attach: the plugin and data class."""
    metadata = summary_pb2.SummaryMetadata(data_class=data_class)
    metadata.plugin_data.plugin_name = plugin_name
    return metadata


_SCALAR = _metadata("scalars", summary_pb2.DATA_CLASS_SCALAR)
_IMAGE = _metadata("images", summary_pb2.DATA_CLASS_BLOB_SEQUENCE)


def batch_tokens(encoder_inputs: Sequence[np.ndarray], target_weights: Sequence[np.ndarray]
                 ) -> int:
    """Tokens of a batch that the model reads or predicts: source tokens plus targets."""
    source = int(np.count_nonzero(np.asarray(encoder_inputs) != PAD_ID))
    return source + int(np.count_nonzero(np.asarray(target_weights)))


def fixed_dev_pair(dev_set: Sequence[Sequence[batching.Pair]]) -> tuple[int, batching.Pair]:
    """The dev sentence of the attention image: the first of the fullest bucket.

    Returns:
      (bucket_id, (source ids, target ids with the final EOS)).

    Raises:
      ValueError: the dev set is empty.
    """
    sizes = [len(bucket) for bucket in dev_set]
    if not any(sizes):
        raise ValueError("the dev set holds no sentence pair")
    bucket_id = int(np.argmax(sizes))
    return bucket_id, dev_set[bucket_id][0]


def source_labels(codec: Codec, ids: Sequence[int]) -> list[str]:
    """The source tokens of ids, for display (words, or subword pieces).

    Raises:
      TypeError: a codec of another kind.
    """
    if isinstance(codec, SubwordCodec):
        return [codec.source.piece(i) for i in ids]
    if not isinstance(codec, WordCodec):
        raise TypeError(f"no source labels for a {type(codec).__name__}")
    rev_source = {index: token for token, index in codec.source_vocab.items()}
    return [rev_source.get(i, b"").decode("utf-8", "replace") for i in ids]


class TrainingSummaries:
    """Writes the summaries listed in the module docstring.

    Args:
      train_dir: where the event file goes.
      model: the model being trained (its variables are read for the attention image).
      dev_set: the dev pairs per bucket (as `batching.read_data` returns them).
      codec: the model's vocabularies, for the image's tokens.
      stderr: where a missing matplotlib is reported (default sys.stderr).
    """

    def __init__(self, train_dir: str, model: TranslationModel,
                 dev_set: Sequence[Sequence[batching.Pair]], codec: Codec, stderr=None):
        self._writer = tf.summary.create_file_writer(train_dir)
        self._model = model
        self._tokens = 0
        self._steps = 0
        self._stderr = stderr or sys.stderr
        self._image = None
        if any(len(bucket) for bucket in dev_set):
            _, (source_ids, target_ids) = fixed_dev_pair(dev_set)
            target_ids = [t for t in target_ids if t != EOS_ID]
            target_words = [t.decode("utf-8", "replace") for t in codec.target_tokens(target_ids)]
            self._image = (source_ids, source_labels(codec, source_ids), target_ids,
                           target_words)

    def add_tokens(self, tokens: int) -> None:
        """Counts a training batch's tokens (`batch_tokens`, for tokens/s)."""
        self._tokens += tokens
        self._steps += 1

    def write_checkpoint(self, learning_rate: float, step_time: float, loss: float,
                         perplexity: float, eval_perplexities: Mapping[int, float]) -> None:
        """Writes the scalars and the image at the model's global step, then flushes.

        Args:
          learning_rate: the rate of the interval (before any decay).
          step_time: seconds per step over the interval.
          loss: the interval's mean loss.
          perplexity: its perplexity, as logged.
          eval_perplexities: bucket id -> dev perplexity (buckets without dev data absent).
        """
        step = int(self._model.global_step.numpy())
        seconds = step_time * self._steps
        scalars = {"train/loss": loss, "train/perplexity": perplexity,
                   "train/learning_rate": learning_rate, "train/step_time": step_time}
        # Batches are counted on the single-device path (a strategy's are not seen here).
        if seconds > 0:
            scalars["train/tokens_per_second"] = self._tokens / seconds
        scalars.update({f"eval/perplexity_bucket_{b}": p for b, p in eval_perplexities.items()})
        with self._writer.as_default():
            for tag, value in scalars.items():
                tf.summary.write(tag, tf.constant(value, tf.float32), step=step,
                                 metadata=_SCALAR)
            png = self._attention_png(step)
            if png is not None:
                image = tf.stack([tf.as_string(w) for w in _png_size(png)] + [tf.constant(png)])
                tf.summary.write(ATTENTION_TAG, image, step=step, metadata=_IMAGE)
        self._writer.flush()
        self._tokens = self._steps = 0

    def write_validation(self, bleu: float, chrf: float) -> None:
        """Writes a validation's dev BLEU and chrF at the model's global step, then flushes."""
        step = int(self._model.global_step.numpy())
        with self._writer.as_default():
            for tag, value in (("dev/bleu", bleu), ("dev/chrf", chrf)):
                tf.summary.write(tag, tf.constant(value, tf.float32), step=step,
                                 metadata=_SCALAR)
        self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file."""
        self._writer.close()

    def _attention_png(self, step: int) -> bytes | None:
        if self._image is None:
            return None
        source_ids, source_words, target_ids, target_words = self._image
        alignment = attention_plot.align(self._model, source_ids, source_words, target_ids,
                                         target_words)
        try:
            return attention_plot.render_png(alignment, title=f"global step {step}")
        except ImportError as e:
            print(f"TensorBoard: no attention image ({e}).", file=self._stderr)
            self._image = None
            return None


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
