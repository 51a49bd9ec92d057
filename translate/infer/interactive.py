"""The original's interactive `--decode` loop, and greedy decoding of one sentence at a time.

  interactive_decode     prompt "> ", read a line, print its translation, until end of input
  translate_line         one line of text to its translation (the original's greedy decode)
  greedy_decode          one sentence of token ids through the model's `greedy_search`

The loop lives in `translate.infer.runtime` and the way output ids are printed in
`translate.infer.codec`, which an exported model's runtime shares without TensorFlow.

The loop's standard output is the original's, byte for byte, whether stdin is a terminal or
a pipe: the "Reading model parameters from ..." line, then "> " (no newline, flushed), and
after each input line its translation and the next "> "; at end of input the last "> " stays
without a newline. Diagnostics go to standard error only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, TextIO

from absl import logging

from translate import batching
from translate.infer import runtime
from translate.infer.codec import Codec
from translate.models import TranslationModel


def greedy_decode(model: TranslationModel, token_ids: list[int]) -> tuple[list[int], bool]:
    """Translates one sentence of source token ids with a forward-only model.

    The sentence goes to the first bucket long enough for it (the last bucket, keeping its
    last tokens, when none is); each output position takes the argmax of its logits, and the
    result is cut before the first EOS_ID. (`Seq2SeqModel.greedy_search`: the decoder stops
    once EOS is emitted, where the original ran the bucket's whole length.)

    Args:
      model: built with forward_only=True.
      token_ids: the source sentence's token ids (may be empty).

    Returns:
      (output_ids, truncated): the target token ids, and whether the sentence was longer than
      every bucket.
    """
    bucket_id, truncated = batching.bucket_for_sentence(len(token_ids), model.buckets)
    batch_size, model.batch_size = model.batch_size, 1
    try:
        encoder_inputs, _, _ = model.get_batch({bucket_id: [(token_ids, [])]}, bucket_id)
    finally:
        model.batch_size = batch_size
    return model.greedy_search(encoder_inputs, bucket_id)[0], truncated


def translate_line(model: TranslationModel, sentence: bytes, codec: Codec) -> str:
    """Translates one line of text (bytes) into what the original's `--decode` prints.

    Args:
      model: built with forward_only=True.
      sentence: the source sentence, UTF-8.
      codec: the model's vocabularies (with word vocabularies: the target tokens joined by
        spaces, as the original).

    Returns:
      The translation; "" when the model outputs EOS first.
    """
    token_ids = codec.encode(sentence)
    if codec.translates_to_nothing(sentence, token_ids):
        return ""
    outputs, truncated = greedy_decode(model, token_ids)
    if truncated:
        logging.warning("Sentence truncated: %s", sentence.decode("utf-8", "replace"))
    return codec.decode(outputs)


def interactive_decode(
    model: TranslationModel,
    codec: Codec,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    translate: Callable[[bytes], str] | None = None,
) -> int:
    """The original's loop: prompt "> ", read a line, print its translation, until EOF.

    Args:
      model: built with forward_only=True.
      codec: the model's vocabularies.
      stdin: binary stream to read lines from (default: sys.stdin's buffer); read as bytes so
        that any input, valid UTF-8 or not, gets an answer.
      stdout: text stream to write to (default: sys.stdout).
      translate: what to print for a line read (without the newline); default: the
        original's greedy translation (`translate_line`). The opt-in decoders of
        `translate.infer.modes` plug in here.

    Returns:
      The number of lines translated.
    """
    if translate is None:
        def translate(sentence: bytes) -> str:
            return translate_line(model, sentence, codec)
    return runtime.prompt_loop(translate, stdin, stdout)
