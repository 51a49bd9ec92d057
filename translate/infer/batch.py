"""Translating many sentences at once: grouped by bucket, decoded in batches.

`BatchTranslator` is the one implementation of batched decoding, used by
`--decode --input_file`, `--eval`, `--decode` with the opt-in flags and the demo. Every batch
is decoded by the model's one search (`search`), in a while loop that stops once every
sentence of the batch has ended:

* `beam_size=None`: the original's greedy decode (argmax fed back, cut at the first EOS), as
  `--decode` prints it (the search with beam size 1, compiled by XLA per `--xla_decode`);
* `beam_size=K`: beam search, K hypotheses per sentence with their log-probabilities; K=1
  gives the same translations as the greedy decode, with log-probabilities.

A sentence longer than every bucket is read from its last tokens, with the original's
"Sentence truncated" warning on stderr.

  BatchTranslator, Hypothesis      batched decoding and its results
  format_hypotheses                the text printed for a sentence (n-best lines)
  decode_file                      a file of sentences in, its translations out
  timed_translate, DecodeReport    decoding after a warm-up, timed
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow as tf
from absl import logging

from data_utils._io import atomic_output
from translate import batching
from translate.infer import runtime, unk
from translate.infer.codec import Codec
from translate.models import TranslationModel


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One translation.

    Attributes:
      ids: the target token ids, EOS excluded.
      tokens: the target tokens, one per id (words, or subword pieces as UTF-8).
      text: the translation as printed: the words joined by spaces (with `--replace_unk`,
        its `_UNK`s replaced by source words), or the detokenized text of subwords.
      log_prob: the model's log-probability of the tokens (and of the EOS that ended them);
        None from the original's greedy decode (`beam_size=None`), which did not report it.
    """

    ids: tuple[int, ...]
    tokens: tuple[bytes, ...]
    text: str
    log_prob: float | None = None


class BatchTranslator:
    """Translates lists of sentences with a forward-only model.

    Args:
      model: the model, restored.
      codec: its vocabularies (`translate.infer.codec`): source lines to ids, ids to text.
      beam_size: None for the original's greedy decode, else the beam size (>= 1).
      batch_size: sentences per batch.
      replace_unk: replace each `_UNK` of an output by the source word the attention
        weighted most (`translate.infer.unk`; word vocabularies only).

    Raises:
      ValueError: `beam_size` or `batch_size` below 1, or `replace_unk` with subwords.
    """

    def __init__(self, model: TranslationModel, codec: Codec, beam_size: int | None = None,
                 batch_size: int = 64, replace_unk: bool = False):
        if beam_size is not None and not 1 <= beam_size <= model.target_vocab_size:
            raise ValueError(f"beam size must be between 1 and the target vocabulary size "
                             f"({model.target_vocab_size}), got {beam_size}")
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        if replace_unk:
            unk.check_codec(codec)
        self.model = model
        self.codec = codec
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.replace_unk = replace_unk

    @property
    def method(self) -> str:
        """How it decodes, for reports: "greedy" or "beam search (K)"."""
        return "greedy" if self.beam_size is None else f"beam search ({self.beam_size})"

    def token_ids(self, sentence: bytes) -> list[int]:
        """The source token ids of a sentence, as the model was trained."""
        return self.codec.encode(sentence)

    def translate(self, sentences: Sequence[bytes], nbest: int = 1) -> list[list[Hypothesis]]:
        """Translates every sentence; results are in input order.

        Args:
          sentences: source sentences, UTF-8 bytes (a trailing newline is ignored).
          nbest: hypotheses returned per sentence, best first (at most the beam size; 1
            with the original's greedy decode).

        Returns:
          For each sentence, `nbest` hypotheses.

        Raises:
          ValueError: `nbest` is larger than the beam.
        """
        if not 1 <= nbest <= (self.beam_size or 1):
            raise ValueError(f"cannot return {nbest} best translations with "
                             f"{self.method} (at most {self.beam_size or 1})")
        token_ids = [self.token_ids(s) for s in sentences]
        for sentence, ids in zip(sentences, token_ids):
            if batching.bucket_for_sentence(len(ids), self.model.buckets)[1]:
                logging.warning("Sentence truncated: %s", sentence.decode("utf-8", "replace"))
        results: list[list[Hypothesis]] = [[] for _ in sentences]
        for index, (sentence, ids) in enumerate(zip(sentences, token_ids)):
            if self.codec.translates_to_nothing(sentence, ids):
                results[index] = [self._hypothesis([], None if self.beam_size is None else 0.0)
                                  ] * nbest
        for bucket_id, chunk in self._batches(sentences, token_ids):
            encoder, _, _ = batching.make_batch(
                [(token_ids[i], []) for i in chunk], *self.model.buckets[bucket_id])
            for index, hypotheses in zip(chunk, self._decode_batch(bucket_id, encoder, nbest)):
                results[index] = hypotheses
        if self.replace_unk:
            results = self._replace_unk(sentences, results)
        return results

    def _replace_unk(self, sentences: Sequence[bytes],
                     results: list[list[Hypothesis]]) -> list[list[Hypothesis]]:
        flat = [(i, h) for i, hypotheses in enumerate(results) for h in hypotheses]
        texts = unk.replace_unk(self.model, self.codec, [sentences[i] for i, _ in flat],
                                [h.ids for _, h in flat], self.batch_size)
        replaced: list[list[Hypothesis]] = [[] for _ in results]
        for (i, h), text in zip(flat, texts):
            replaced[i].append(dataclasses.replace(h, text=text))
        return replaced

    def warm_up(self, sentences: Sequence[bytes]) -> None:
        """Compiles the graph of every batch shape `translate(sentences)` decodes (on dummy
        batches: XLA compiles per bucket and batch size), so that timings afterwards measure
        decoding only."""
        shapes = {(bucket_id, len(chunk)) for bucket_id, chunk in
                  self._batches(sentences, [self.token_ids(s) for s in sentences])}
        for bucket_id, size in sorted(shapes):
            encoder, _, _ = batching.make_batch([([], [])] * size, *self.model.buckets[bucket_id])
            self._decode_batch(bucket_id, encoder, 1)

    def _batches(self, sentences: Sequence[bytes], token_ids: Sequence[list[int]]
                 ) -> Iterator[tuple[int, list[int]]]:
        """(bucket id, indices into `token_ids`) of each batch the model decodes, bucket by
        bucket: every sentence but those that translate to nothing."""
        by_bucket: dict[int, list[int]] = {}
        for index, (sentence, ids) in enumerate(zip(sentences, token_ids)):
            if self.codec.translates_to_nothing(sentence, ids):
                continue
            bucket_id, _ = batching.bucket_for_sentence(len(ids), self.model.buckets)
            by_bucket.setdefault(bucket_id, []).append(index)
        for bucket_id, indices in sorted(by_bucket.items()):
            for start in range(0, len(indices), self.batch_size):
                yield bucket_id, indices[start:start + self.batch_size]

    def _decode_batch(self, bucket_id: int, encoder: list[np.ndarray],
                      nbest: int) -> list[list[Hypothesis]]:
        result = self.model.search(encoder, bucket_id, self.beam_size or 1)
        return [[self._hypothesis(tokens[k, :lengths[k]].tolist(),
                                  None if self.beam_size is None else float(log_probs[k]))
                 for k in range(nbest)]
                for tokens, lengths, log_probs in zip(result.tokens, result.lengths,
                                                       result.log_probs)]

    def _hypothesis(self, ids: list[int], log_prob: float | None = None) -> Hypothesis:
        return Hypothesis(tuple(ids), tuple(self.codec.target_tokens(ids)),
                          self.codec.decode(ids), log_prob)


def format_hypotheses(hypotheses: Sequence[Hypothesis], nbest: bool) -> str:
    """The text printed for one sentence (without a final newline).

    Args:
      hypotheses: the sentence's hypotheses, best first.
      nbest: False: the best translation only; True: one line per hypothesis,
        "<rank>\\t<log-probability>\\t<translation>", rank from 1, log-probability with 4
        decimals.

    Returns:
      The text.
    """
    if not nbest:
        return hypotheses[0].text
    return "\n".join(f"{rank}\t{h.log_prob:.4f}\t{h.text}"
                     for rank, h in enumerate(hypotheses, 1))


@dataclasses.dataclass(frozen=True)
class DecodeReport:
    """What a batched decode of a file did.

    Attributes:
      sentences: number of input lines.
      seconds: wall time of the decoding (after compiling each bucket's graph).
    """

    sentences: int
    seconds: float

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else float("inf")


def timed_translate(translator: BatchTranslator, sentences: Sequence[bytes],
                    nbest: int = 1) -> tuple[list[list[Hypothesis]], DecodeReport]:
    """`translator.translate` after a warm-up, timed.

    Returns:
      (hypotheses per sentence, the report).
    """
    translator.warm_up(sentences)
    start = time.perf_counter()
    hypotheses = translator.translate(sentences, nbest)
    return hypotheses, DecodeReport(len(sentences), time.perf_counter() - start)


def decode_file(translator: BatchTranslator, input_path: str, output_path: str,
                nbest: int | None = None) -> DecodeReport:
    """Translates every line of `input_path` into `output_path`, in input order.

    Args:
      translator: the translator.
      input_path: source sentences, one per line.
      output_path: written atomically (its directory is created if needed): one
        translation per line, or with `nbest` N lines per input line as
        `format_hypotheses` writes them.
      nbest: None, or how many hypotheses to write per sentence.

    Returns:
      The report (counts, time).

    Raises:
      FileNotFoundError: `input_path` does not exist.
      ValueError: `nbest` is larger than the beam.
    """
    sentences = runtime.read_sentences(input_path)
    hypotheses, report = timed_translate(translator, sentences, nbest or 1)
    lines = [format_hypotheses(h, nbest is not None) + "\n" for h in hypotheses]
    tf.io.gfile.makedirs(os.path.dirname(os.path.abspath(output_path)))
    with atomic_output(output_path) as f:
        f.write("".join(lines).encode("utf-8"))
    return report
