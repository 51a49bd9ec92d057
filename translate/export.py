"""`--export_dir`: a SavedModel that translates strings, with nothing but TensorFlow.

    python -m translate --export_dir=exported --data_dir=data --train_dir=train [model flags]
    # later, in any TensorFlow 2 program (no project code needed):
    translator = tf.saved_model.load("exported")
    translator.translate(tf.constant(["I am here ."]))          # -> tf.string [1]
    translator.signatures["serving_default"](sentences=...)    # -> {"translations": ...}

Everything `--decode` does happens inside the graph: the tutorial's tokenizer (ASCII
whitespace, the punctuation `. , ! ? " ' : ; ) (` as tokens, ASCII digits to 0 unless
exported with --nonormalize_digits), the vocabulary lookup (unknown words to _UNK), the
bucket (the smallest whose encoder length fits, else the last, keeping the last tokens),
the padded, reversed encoder input, the decoder (`legacy_seq2seq`'s while-loop search:
greedy, which is the original's decode, or beam search with --beam_size), and the
detokenization (target tokens joined by spaces, EOS cut). So `translate` gives, sentence
for sentence, what `--decode` prints.
"""

from __future__ import annotations

import os
import uuid

import tensorflow as tf

import data_utils
from translate.search import ModelSearch
from translate.seq2seq_model import Seq2SeqModel

# The tutorial's punctuation split (data_utils._WORD_SPLIT) in RE2 syntax: each of these
# characters becomes a token of its own.
_PUNCTUATION = data_utils._WORD_SPLIT.pattern.decode("ascii")


class Translator(tf.Module):
    """The model, its vocabularies and its decoding as one saveable module.

    Args:
      model: the model, restored.
      source_vocab: source token -> id.
      rev_target_vocab: target id -> token.
      beam_size: 1 for the original's greedy decode, more for beam search (best kept).
      normalize_digits: map ASCII digits to 0 before the lookup (as the model was trained).

    Raises:
      ValueError: `beam_size` out of range.
    """

    def __init__(self, model: Seq2SeqModel, source_vocab: dict[bytes, int],
                 rev_target_vocab: list[bytes], beam_size: int = 1,
                 normalize_digits: bool = True):
        super().__init__(name="translator")
        if not 1 <= beam_size <= model.target_vocab_size:
            raise ValueError(f"beam size must be between 1 and the target vocabulary size "
                             f"({model.target_vocab_size}), got {beam_size}")
        self._search = ModelSearch(model)
        # Tracked, so that the SavedModel holds the weights the decoding graph reads.
        self.model_variables = self._search.variables
        words = sorted(source_vocab)
        self.source_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(words, tf.string),
                tf.constant([source_vocab[w] for w in words], tf.int64)),
            default_value=data_utils.UNK_ID)
        self.target_words = tf.Variable(tf.constant(rev_target_vocab, tf.string),
                                        trainable=False, name="target_words")
        self.beam_size = beam_size
        self.normalize_digits = normalize_digits
        self.buckets = [tuple(b) for b in model.buckets]

    def tokenize(self, sentences: tf.Tensor) -> tf.RaggedTensor:
        """`data_utils.basic_tokenizer` (plus digit normalization) in the graph.

        Args:
          sentences: tf.string `[batch]`.

        Returns:
          tf.string ragged `[batch, (tokens)]`.
        """
        if self.normalize_digits:
            sentences = tf.strings.regex_replace(sentences, "[0-9]", "0")
        spaced = tf.strings.regex_replace(sentences, _PUNCTUATION, r" \1 ")
        # Splits on ASCII whitespace, dropping empty tokens, as bytes.split() does.
        return tf.strings.split(spaced)

    def bucket_ids(self, lengths: tf.Tensor) -> tf.Tensor:
        """For sentence lengths `[batch]` (int64), the bucket `--decode` uses for each."""
        encoder_lengths = tf.constant([b[0] for b in self.buckets], tf.int64)
        fits = lengths[:, None] <= encoder_lengths[None, :]
        first_fit = tf.argmax(tf.cast(fits, tf.int32), axis=1, output_type=tf.int32)
        return tf.where(tf.reduce_any(fits, axis=1), first_fit, len(self.buckets) - 1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")],
                 autograph=False)
    def translate(self, sentences: tf.Tensor) -> tf.Tensor:
        """Translates a batch of source sentences.

        Args:
          sentences: tf.string `[batch]`, UTF-8 source sentences.

        Returns:
          tf.string `[batch]`: the translations, target tokens joined by spaces.
        """
        ids = tf.cast(self.source_table.lookup(self.tokenize(sentences)), tf.int32)
        bucket_ids = self.bucket_ids(ids.row_lengths())
        positions, translations = [], []
        for bucket_id, (encoder_length, decoder_length) in enumerate(self.buckets):
            rows = tf.where(tf.equal(bucket_ids, bucket_id))[:, 0]
            # Padded to the bucket, reversed (padding first); too long: the last tokens.
            kept = tf.gather(ids, rows)[:, -encoder_length:]
            padded = kept.to_tensor(default_value=data_utils.PAD_ID,
                                    shape=[None, encoder_length])
            encoder = tf.transpose(tf.reverse(padded, axis=[1]))
            result = self._search.search_graph(
                tf.unstack(encoder, num=encoder_length), self.beam_size, decoder_length)
            tokens = tf.RaggedTensor.from_tensor(result.tokens[:, 0, :],
                                                 lengths=result.lengths[:, 0])
            words = tf.gather(self.target_words, tokens)
            positions.append(rows)
            translations.append(tf.strings.reduce_join(words, axis=1, separator=" "))
        order = tf.argsort(tf.concat(positions, axis=0))
        return tf.gather(tf.concat(translations, axis=0), order)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")],
                 autograph=False)
    def serve(self, sentences: tf.Tensor) -> dict[str, tf.Tensor]:
        """The serving signature: {"translations": tf.string [batch]}."""
        return {"translations": self.translate(sentences)}


def export_saved_model(model: Seq2SeqModel, source_vocab: dict[bytes, int],
                       rev_target_vocab: list[bytes], export_dir: str, beam_size: int = 1,
                       normalize_digits: bool = True) -> str:
    """Writes the SavedModel of `Translator` to `export_dir` (which must not exist yet).

    It is written under a temporary name beside `export_dir` and renamed when complete.

    Args:
      model: the model, restored.
      source_vocab: source token -> id.
      rev_target_vocab: target id -> token.
      export_dir: the SavedModel directory to create.
      beam_size: 1 (greedy, the original's) or the beam size.
      normalize_digits: as the model was trained.

    Returns:
      `export_dir`.

    Raises:
      FileExistsError: `export_dir` exists (nothing is overwritten).
      ValueError: `beam_size` out of range.
    """
    if tf.io.gfile.exists(export_dir):
        raise FileExistsError(f"export directory {export_dir} already exists; remove it or "
                              "choose another --export_dir")
    module = Translator(model, source_vocab, rev_target_vocab, beam_size, normalize_digits)
    parent = os.path.dirname(os.path.abspath(export_dir))
    tf.io.gfile.makedirs(parent)
    tmp_dir = os.path.join(parent, f".{os.path.basename(export_dir)}.tmp-{uuid.uuid4().hex}")
    try:
        tf.saved_model.save(module, tmp_dir, signatures={"serving_default": module.serve})
        tf.io.gfile.rename(tmp_dir, export_dir)
    finally:
        if tf.io.gfile.exists(tmp_dir):
            tf.io.gfile.rmtree(tmp_dir)
    return export_dir
