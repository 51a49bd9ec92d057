"""`--export_dir`: the model with its decoding, for TensorFlow, LiteRT (TFLite) or ONNX Runtime.

    python -m translate --export_dir=exported --data_dir=data --train_dir=train [model flags]
    # later, in any TensorFlow 2 program (no project code needed):
    translator = tf.saved_model.load("exported")
    translator.translate(tf.constant(["I am here ."]))          # -> tf.string [1]
    translator.signatures["serving_default"](sentences=...)    # -> {"translations": ...}

Everything `--decode` does happens inside the graph: the tutorial's tokenizer (ASCII
whitespace, the punctuation `. , ! ? " ' : ; ) (` as tokens, ASCII digits to 0 unless
exported with --nonormalize_digits), the vocabulary lookup (unknown words to _UNK), the
bucket (the smallest whose encoder length fits, else the last, keeping the last tokens),
the padded, reversed encoder input, the decoder (the model's `search_graph`: greedy, which
is the original's decode, or beam search with --beam_size), and the detokenization (target
tokens joined by spaces, EOS cut). So `translate` gives, sentence for sentence, what
`--decode` prints.

`--export_format tflite|onnx` writes `D/model.tflite` or `D/model.onnx` instead: one sentence
of source token ids in, its output ids out, with the bucket choice, the padded and reversed
encoder input and the whole decoding loop (greedy or beam search) inside, in builtin TFLite ops
(no TensorFlow ops needed) or standard ONNX ops. The text handling (tokenizer, vocabularies,
output words) stays outside, in `translate.infer.runtime`, which needs only numpy and the
runtime; the vocabularies go to `D/translate.json` (`translate.infer.codec.codec_metadata`).
Neither runtime has the string ops the SavedModel's tokenizer uses, which is why the text
stays outside.

Subword vocabularies (`--vocabulary subword`): TFLite and ONNX take ids already, so their
exports work unchanged; the two SentencePiece models are copied beside the model file
(`D/source.model`, `D/target.model`) and the runtime tokenizes and detokenizes with them. The
SavedModel refuses a subword model: its strings-in, strings-out graph would need
SentencePiece's ops in TensorFlow (the `tensorflow-text` package), which this project does
not depend on; the error says to export with --export_format tflite or onnx.

  Translator             the SavedModel module (tokenizer, vocabularies, the model's search)
  IdTranslator           the TFLite/ONNX module: source ids -> output ids of one sentence
  bucket_ids             the bucket `--decode` picks for each sentence length, in the graph
  export_model           writes any of the three formats to a new directory, atomically
  export_saved_model     the SavedModel
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence

import tensorflow as tf

import data_utils
from translate import datasets
from translate.infer import runtime
from translate.infer.codec import Codec, WordCodec, codec_metadata
from translate.models import TranslationModel

# The tutorial's punctuation split (data_utils._WORD_SPLIT) in RE2 syntax: each of these
# characters becomes a token of its own.
_PUNCTUATION = data_utils._WORD_SPLIT.pattern.decode("ascii")


def bucket_ids(lengths: tf.Tensor, buckets: Sequence[Sequence[int]]) -> tf.Tensor:
    """The bucket `--decode` uses for each sentence: the first whose encoder length fits, else
    the last (which keeps the sentence's last tokens).

    Args:
      lengths: int [batch], source lengths in tokens.
      buckets: (encoder length, decoder length) pairs.

    Returns:
      int32 [batch].
    """
    encoder_lengths = tf.constant([b[0] for b in buckets], lengths.dtype)
    fits = lengths[:, None] <= encoder_lengths[None, :]
    first_fit = tf.argmax(tf.cast(fits, tf.int32), axis=1, output_type=tf.int32)
    return tf.where(tf.reduce_any(fits, axis=1), first_fit, len(buckets) - 1)


def _check_beam_size(model: TranslationModel, beam_size: int) -> None:
    if not 1 <= beam_size <= model.target_vocab_size:
        raise ValueError(f"beam size must be between 1 and the target vocabulary size "
                         f"({model.target_vocab_size}), got {beam_size}")


class Translator(tf.Module):
    """The model, its vocabularies and its decoding as one saveable module.

    Args:
      model: the model, restored.
      codec: its word vocabularies (and whether digits are mapped to 0, as in training).
      beam_size: 1 for the original's greedy decode, more for beam search (best kept).

    Raises:
      ValueError: `beam_size` out of range, or subword vocabularies (see the module
        docstring).
    """

    def __init__(self, model: TranslationModel, codec: Codec, beam_size: int = 1):
        super().__init__(name="translator")
        _check_beam_size(model, beam_size)
        if not isinstance(codec, WordCodec):
            raise ValueError(
                f"a SavedModel export takes word vocabularies only (its graph tokenizes "
                f"text); this model's are {codec.kind} vocabularies: export with "
                "--export_format tflite or --export_format onnx, which --exported_model runs "
                "with the subword models")
        source_vocab, rev_target_vocab = codec.source_vocab, codec.rev_target_vocab
        # Not tracked (a plain object); its graph is traced into `translate`.
        self._model = model
        # Tracked, so that the SavedModel holds the weights the decoding graph reads.
        self.model_variables = list(model.variables_by_name.values())
        words = sorted(source_vocab)
        self.source_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(words, tf.string),
                tf.constant([source_vocab[w] for w in words], tf.int64)),
            default_value=data_utils.UNK_ID)
        self.target_words = tf.Variable(tf.constant(rev_target_vocab, tf.string),
                                        trainable=False, name="target_words")
        self.beam_size = beam_size
        self.normalize_digits = codec.normalize_digits
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
        sentence_buckets = bucket_ids(ids.row_lengths(), self.buckets)
        positions, translations = [], []
        for bucket_id, (encoder_length, decoder_length) in enumerate(self.buckets):
            rows = tf.where(tf.equal(sentence_buckets, bucket_id))[:, 0]
            # Padded to the bucket, reversed (padding first); too long: the last tokens.
            encoder = datasets.lay_out(tf.gather(ids, rows),
                                       (encoder_length, decoder_length)).encoder
            result = self._model.search_graph(encoder, decoder_length, self.beam_size)
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


class IdTranslator(tf.Module):
    """One sentence of source ids to its output ids: the module of the TFLite and ONNX files.

    Its function `translate_ids` takes "source_ids" int32 [tokens] (the sentence's ids, as
    `data_utils.sentence_to_token_ids` gives them) and returns {"tokens": int32
    [decoder length], "length": int32 []}: the best hypothesis is `tokens[:length]`, cut
    before EOS. The bucket, its padding and the decoding loop are inside.

    Args:
      model: the model, restored.
      beam_size: 1 for the original's greedy decode, more for beam search (best kept).

    Raises:
      ValueError: `beam_size` out of range.
    """

    def __init__(self, model: TranslationModel, beam_size: int = 1):
        super().__init__(name="id_translator")
        _check_beam_size(model, beam_size)
        self._model = model
        self.model_variables = list(model.variables_by_name.values())
        self.beam_size = beam_size
        self.buckets = [tuple(b) for b in model.buckets]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name=runtime.INPUT_NAME)],
                 autograph=False)
    def translate_ids(self, source_ids: tf.Tensor) -> dict[str, tf.Tensor]:
        """See the class docstring."""
        # Constants made inside the function: tf2onnx would turn captured ones into inputs.
        encoder_lengths = tf.constant([b[0] for b in self.buckets], tf.int32)
        decoder_lengths = tf.constant([b[1] for b in self.buckets], tf.int32)
        bucket = bucket_ids(tf.shape(source_ids)[:1], self.buckets)[0]
        encoder = datasets.lay_out(source_ids[None, :], (encoder_lengths[bucket], None)).encoder
        result = self._model.search_graph(encoder, decoder_lengths[bucket], self.beam_size)
        tokens, length = result.tokens[0, 0], result.lengths[0, 0]
        return dict(zip(runtime.OUTPUT_NAMES, (tokens, length)))


def _write_saved_model(module: Translator, directory: str) -> None:
    tf.saved_model.save(module, directory, signatures={"serving_default": module.serve})


def _write_tflite(module: IdTranslator, directory: str) -> None:
    function = module.translate_ids.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    # Builtin ops only: the file runs on the plain LiteRT interpreter (no TensorFlow ops).
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with open(os.path.join(directory, "model.tflite"), "wb") as f:
        f.write(converter.convert())


def _write_onnx(module: IdTranslator, directory: str) -> None:
    try:
        import tf2onnx
    except ImportError as error:
        raise ImportError("ONNX export needs tf2onnx: pip install 'legacy-seq2seq[onnx]'") \
            from error
    signature = [tf.TensorSpec([None], tf.int32, name=runtime.INPUT_NAME)]
    tf2onnx.convert.from_function(module.translate_ids, input_signature=signature,
                                  opset=17, output_path=os.path.join(directory, "model.onnx"))


def _write_metadata(directory: str, export_format: str, codec: Codec,
                    beam_size: int) -> None:
    metadata = {"format": export_format, "beam_size": beam_size,
                **codec_metadata(codec, directory)}
    with open(os.path.join(directory, runtime.METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(metadata, f)


def export_model(model: TranslationModel, codec: Codec, export_dir: str,
                 export_format: str = "savedmodel", beam_size: int = 1) -> str:
    """Writes the model with its decoding to `export_dir` (which must not exist yet).

    "savedmodel": `export_dir` is a SavedModel of `Translator` (strings in, strings out; word
    vocabularies only). "tflite" / "onnx": `export_dir/model.tflite` or `model.onnx`
    (`IdTranslator`) and `export_dir/translate.json` (with subwords also the two SentencePiece
    models), run by `translate.infer.runtime`. The directory is written under a temporary name
    beside `export_dir` and renamed when complete.

    Args:
      model: the model, restored.
      codec: its vocabularies.
      export_dir: the directory to create.
      export_format: "savedmodel", "tflite" or "onnx".
      beam_size: 1 (greedy, the original's) or the beam size.

    Returns:
      `export_dir`.

    Raises:
      FileExistsError: `export_dir` exists (nothing is overwritten).
      ValueError: unknown `export_format`, `beam_size` out of range, or a SavedModel of
        subword vocabularies.
      ImportError: ONNX export without tf2onnx installed.
    """
    if export_format not in runtime.FORMATS:
        raise ValueError(f"export format must be one of {', '.join(runtime.FORMATS)}; got "
                         f"{export_format!r}")
    if tf.io.gfile.exists(export_dir):
        raise FileExistsError(f"export directory {export_dir} already exists; remove it or "
                              "choose another --export_dir")
    if export_format == "savedmodel":
        module = Translator(model, codec, beam_size)
    else:
        module = IdTranslator(model, beam_size)
    parent = os.path.dirname(os.path.abspath(export_dir))
    tf.io.gfile.makedirs(parent)
    tmp_dir = os.path.join(parent, f".{os.path.basename(export_dir)}.tmp-{uuid.uuid4().hex}")
    try:
        if export_format == "savedmodel":
            _write_saved_model(module, tmp_dir)
        else:
            tf.io.gfile.makedirs(tmp_dir)
            (_write_tflite if export_format == "tflite" else _write_onnx)(module, tmp_dir)
            _write_metadata(tmp_dir, export_format, codec, beam_size)
        tf.io.gfile.rename(tmp_dir, export_dir)
    finally:
        if tf.io.gfile.exists(tmp_dir):
            tf.io.gfile.rmtree(tmp_dir)
    return export_dir


def export_saved_model(model: TranslationModel, codec: Codec, export_dir: str,
                       beam_size: int = 1) -> str:
    """`export_model` with the "savedmodel" format (see there)."""
    return export_model(model, codec, export_dir, "savedmodel", beam_size)
