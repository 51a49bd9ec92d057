"""Attention heatmaps: which source words the model reads for each target word.

The encoder reads a sentence padded to its bucket's length and reversed (the padding first),
so attention position `l` of a sentence of `n` kept tokens holds source token `T - 1 - l`
(T the bucket's encoder length) and positions `0 .. T - n - 1` hold padding. `align` maps the
weights back to the words in reading order; the weight on the padding is kept apart.

Drawing needs matplotlib (`pip install legacy-seq2seq[plot]`).

  align, Alignment          the model's attention (`alignment`) mapped back to the words
  source_positions          where each source token sits in the encoder's input
  render_png, save_png      the heatmap
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from data_utils import EOS_ID
from data_utils._io import atomic_output
from translate import batching
from translate.models import TranslationModel

EOS_LABEL = "_EOS"
PADDING_LABEL = "(padding)"


@dataclasses.dataclass(frozen=True)
class Alignment:
    """The attention of one translation.

    Attributes:
      source_words: the source tokens the encoder read, in reading order (for a sentence
        longer than every bucket, its last ones).
      target_words: the target tokens, followed by "_EOS" when the model ended the
        translation there.
      weights: float32 `[len(target_words), len(source_words)]`: row t is the attention over
        the source words with which the model produced target word t.
      padding_weight: float32 `[len(target_words)]`: the attention the row put on the
        padding; each row of `weights` plus its padding weight sums to 1.
      num_padding: how many padding positions the encoder read.
    """

    source_words: list[str]
    target_words: list[str]
    weights: np.ndarray
    padding_weight: np.ndarray
    num_padding: int


def source_positions(num_tokens: int, encoder_length: int) -> list[int]:
    """The encoder position of each source token the encoder reads (see the module docstring).

    Args:
      num_tokens: the sentence's length in tokens.
      encoder_length: the bucket's encoder length T.

    Returns:
      For the last min(num_tokens, T) tokens, in reading order, their positions T - 1 - k.
    """
    return [encoder_length - 1 - k for k in range(min(num_tokens, encoder_length))]


def align(model: TranslationModel, source_ids: Sequence[int], source_words: Sequence[str],
          target_ids: Sequence[int], target_words: Sequence[str]) -> Alignment:
    """The model's attention while it produces `target_ids` from `source_ids`.

    The target is fed to the decoder (teacher forcing), so any translation can be explained:
    the greedy or beam output, or a reference.

    Args:
      model: the model (its `alignment` graph).
      source_ids: source token ids, in reading order.
      source_words: the source tokens to show, one per id.
      target_ids: target token ids, EOS excluded.
      target_words: the target tokens to show, one per id.

    Returns:
      The alignment; a row for "_EOS" is added when the bucket's decoder has room for it.

    Raises:
      ValueError: a list of words does not match its ids in length.
    """
    if len(source_words) != len(source_ids) or len(target_words) != len(target_ids):
        raise ValueError(f"{len(source_words)} source words for {len(source_ids)} ids, "
                         f"{len(target_words)} target words for {len(target_ids)} ids")
    bucket_id, _ = batching.bucket_for_sentence(len(source_ids), model.buckets)
    encoder_length, decoder_length = model.buckets[bucket_id]
    target = list(target_ids) + [EOS_ID]
    encoder, decoder, _ = batching.make_batch([(list(source_ids), target)],
                                              encoder_length, decoder_length)
    _, weights = model.alignment(encoder, decoder)
    positions = source_positions(len(source_ids), encoder_length)
    kept = len(positions)
    rows = min(len(target), decoder_length)
    weights = weights[:rows, 0, :]
    words = list(target_words) + [EOS_LABEL]
    return Alignment(
        source_words=list(source_words)[len(source_ids) - kept:],
        target_words=words[:rows],
        weights=weights[:, positions],
        padding_weight=weights[:, :encoder_length - kept].sum(axis=1),
        num_padding=encoder_length - kept)


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("attention plots need matplotlib: pip install "
                          "'legacy-seq2seq[plot]' (or pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def render_png(alignment: Alignment, title: str = "") -> bytes:
    """Draws the alignment as a heatmap: source words across, target words down.

    When the encoder read padding, a last column "(padding)" shows the attention it got
    (the original model attends to the padding too), so that every row sums to 1.

    Args:
      alignment: what to draw.
      title: a line above the plot.

    Returns:
      The PNG file's bytes.

    Raises:
      ImportError: matplotlib is not installed.
    """
    plt = _pyplot()
    weights, columns = alignment.weights, list(alignment.source_words)
    if alignment.num_padding:
        weights = np.concatenate([weights, alignment.padding_weight[:, None]], axis=1)
        columns.append(PADDING_LABEL)
    rows, cols = weights.shape
    figure, axes = plt.subplots(figsize=(max(4.0, 1.0 + 0.55 * cols),
                                         max(3.0, 1.2 + 0.45 * rows)), dpi=120)
    try:
        image = axes.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0,
                            aspect="auto", interpolation="nearest")
        if alignment.num_padding:
            axes.axvline(cols - 1.5, color="white", linewidth=2)
        axes.set_xticks(range(cols), columns, rotation=60, ha="right",
                        rotation_mode="anchor")
        axes.set_yticks(range(rows), alignment.target_words)
        axes.set_xlabel("source")
        axes.set_ylabel("target")
        if title:
            axes.set_title(title, fontsize=10)
        figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="attention weight")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def save_png(alignment: Alignment, path: str, title: str = "") -> None:
    """Draws the alignment (see `render_png`) into the PNG file `path`, atomically (its
    directory is created if needed)."""
    data = render_png(alignment, title)
    tf.io.gfile.makedirs(os.path.dirname(os.path.abspath(path)))
    with atomic_output(path) as f:
        f.write(data)
