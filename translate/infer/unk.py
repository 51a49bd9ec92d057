"""`--replace_unk`: each `_UNK` of an output replaced by the source word it attended to most.

A word vocabulary maps every word outside it to `_UNK`; names, numbers and rare words then
come out as `_UNK`. Luong et al. (2015, "Addressing the Rare Word Problem in Neural Machine
Translation") copy instead the source word that the attention weighted most at that output
position. The weights are the model's own: the output is fed back to the decoder (teacher
forcing: GO, then the output's tokens), which reproduces, step for step, the attention with
which the search produced it. The copied word is the source token as written in the line
(digits kept, not normalized to 0), and a position that attended most to the padding takes
the most-attended real token. Only for word vocabularies: a subword model has no `_UNK` for
words it can spell.

  replace_unk        output texts with their `_UNK`s replaced, for a batch of sentences
  copied_words       the replacement of each `_UNK` given the attention weights
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data_utils.symbols import UNK_ID
from translate import batching
from translate.infer.attention_plot import source_positions
from translate.infer.codec import Codec, WordCodec, cut_at_eos, join_tokens
from translate.models import TranslationModel


def check_codec(codec: Codec) -> WordCodec:
    """The codec, if `--replace_unk` can work with it.

    Raises:
      ValueError: the vocabularies are not word vocabularies.
    """
    if not isinstance(codec, WordCodec):
        raise ValueError(f"--replace_unk works with word vocabularies only; this model's are "
                         f"{codec.kind} vocabularies, whose output has no _UNK to replace: "
                         "leave --replace_unk out")
    return codec


def copied_words(output_ids: Sequence[int], target_tokens: Sequence[bytes],
                 source_words: Sequence[bytes], weights: np.ndarray,
                 encoder_length: int) -> list[bytes]:
    """The target tokens with each `_UNK` output replaced by its most-attended source word.

    Args:
      output_ids: the output ids (EOS excluded).
      target_tokens: their tokens, one per id.
      source_words: the source line's tokens as written, one per source id.
      weights: float `[len(output_ids) or more, encoder_length]`: row t is the attention
        with which output t was produced, over the encoder positions (padding first, the
        sentence reversed: `translate.batching`).
      encoder_length: the bucket's encoder length.

    Returns:
      The tokens, `_UNK`s replaced (kept when the sentence has no token to copy).
    """
    positions = source_positions(len(source_words), encoder_length)
    kept = source_words[len(source_words) - len(positions):]
    tokens = list(target_tokens)
    if not positions:
        return tokens
    for t, token_id in enumerate(output_ids):
        if token_id == UNK_ID:
            tokens[t] = kept[int(np.argmax(weights[t, positions]))]
    return tokens


def replace_unk(model: TranslationModel, codec: WordCodec, sentences: Sequence[bytes],
                outputs: Sequence[Sequence[int]], batch_size: int = 64) -> list[str]:
    """The output text of each sentence's output, its `_UNK`s replaced by source words.

    Args:
      model: the model that produced the outputs.
      codec: its word vocabularies.
      sentences: source lines (bytes).
      outputs: for each sentence, output ids (cut at the first EOS).
      batch_size: sentences per alignment batch.

    Returns:
      One text per sentence, as `codec.decode` prints it but with the replacements.
    """
    outputs = [cut_at_eos(ids) for ids in outputs]
    texts = [codec.decode(ids) for ids in outputs]
    by_bucket: dict[int, list[int]] = {}
    source_ids = {}
    for index, ids in enumerate(outputs):
        if UNK_ID in ids:
            source_ids[index] = codec.encode(sentences[index])
            bucket_id, _ = batching.bucket_for_sentence(len(source_ids[index]), model.buckets)
            by_bucket.setdefault(bucket_id, []).append(index)
    for bucket_id, indices in sorted(by_bucket.items()):
        encoder_length, decoder_length = model.buckets[bucket_id]
        for start in range(0, len(indices), batch_size):
            chunk = indices[start:start + batch_size]
            encoder, decoder, _ = batching.make_batch(
                [(source_ids[i], outputs[i]) for i in chunk], encoder_length, decoder_length)
            _, weights = model.alignment(encoder, decoder)
            for row, index in enumerate(chunk):
                tokens = copied_words(outputs[index], codec.target_tokens(outputs[index]),
                                      codec.source_tokens(sentences[index]),
                                      weights[:, row, :], encoder_length)
                texts[index] = join_tokens(tokens)
    return texts
