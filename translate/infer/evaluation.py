"""`--eval` and validation: translate source lines, score them against references, time it.

    python -m translate --eval --data_dir=data --train_dir=train \\
        [--eval_source=dev.en --eval_reference=dev.fr] [--beam_size=4] [--batch_size=64]

Without --eval_source/--eval_reference the dev files of training are used
(--from_dev_data/--to_dev_data). The translations are scored as text: the words joined by
spaces (word vocabularies, as `--decode` prints them) or the detokenized text (subwords),
against the reference lines as they are, by sacrebleu with its standard `13a` tokenization
(BLEU) and chrF (see `translate.infer.metrics`), so one figure serves both vocabularies and
compares with published ones. Prints, e.g.:

    BLEU 41.27  chrF 63.05  (1001 sentences, greedy)
      nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
      nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0
    Decoding: 1001 sentences in 4.12 s, 243.0 sentences/s (batches of 64).

  score_lines      translate and score lists of lines (validation during training)
  evaluate_files   the same for two files, after a warm-up (`--eval`)
  EvalResult       what was measured
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from translate.infer import metrics
from translate.infer.batch import BatchTranslator, DecodeReport, timed_translate
from translate.infer.runtime import read_sentences


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """What `score_lines` measured.

    Attributes:
      scores: BLEU and chrF.
      report: sentence count and decoding time.
      method: "greedy" or "beam search (K)".
      batch_size: sentences per batch.
      translations: the translations as scored (as `--decode` prints them).
      references: the reference lines as scored (UTF-8, invalid bytes as U+FFFD).
    """

    scores: metrics.CorpusScores
    report: DecodeReport
    method: str
    batch_size: int
    translations: list[str]
    references: list[str]

    def summary(self) -> str:
        """The lines `--eval` prints."""
        s = self.scores
        return (f"BLEU {s.bleu:.2f}  chrF {s.chrf:.2f}  ({self.report.sentences} sentences, "
                f"{self.method})\n  {s.bleu_signature}\n  {s.chrf_signature}\n"
                f"Decoding: {self.report.sentences} sentences in {self.report.seconds:.2f} s, "
                f"{self.report.sentences_per_second:.1f} sentences/s (batches of "
                f"{self.batch_size}).")


def _text(line: bytes) -> str:
    return line.rstrip(b"\r\n").decode("utf-8", "replace")


def score_lines(translator: BatchTranslator, sources: Sequence[bytes],
                references: Sequence[bytes], warm_up: bool = False) -> EvalResult:
    """Translates `sources` in batches and scores them against `references`.

    BLEU uses sacrebleu's `13a` tokenization of the detokenized translations and of the raw
    reference lines; chrF reads the same text.

    Args:
      translator: the translator (its codec, beam size and batch size are used).
      sources: source lines (bytes).
      references: one reference line (bytes) per source line.
      warm_up: compile every batch shape first, so that the reported time is decoding only.

    Returns:
      The scores (with their sacrebleu signatures), timing and texts.

    Raises:
      ValueError: the lists differ in length, or are empty.
      ImportError: sacrebleu is not installed.
    """
    if len(sources) != len(references):
        raise ValueError(f"{len(sources)} source lines but {len(references)} references; "
                         "they must be aligned line by line")
    if not sources:
        raise ValueError("no source lines: nothing to evaluate")
    if warm_up:
        hypotheses, report = timed_translate(translator, sources)
    else:
        start = time.perf_counter()
        hypotheses = translator.translate(sources)
        report = DecodeReport(len(sources), time.perf_counter() - start)
    translations = [h[0].text for h in hypotheses]
    scored = [_text(r) for r in references]
    return EvalResult(scores=metrics.corpus_scores(translations, scored, tokenize="13a"),
                      report=report, method=translator.method,
                      batch_size=translator.batch_size, translations=translations,
                      references=scored)


def evaluate_files(translator: BatchTranslator, source_path: str,
                   reference_path: str) -> EvalResult:
    """`--eval`: `score_lines` on two files, timed after a warm-up.

    Args:
      translator: the translator (its codec, beam size and batch size are used).
      source_path: source sentences, one per line.
      reference_path: one reference translation per source line.

    Returns:
      The scores, timing and texts.

    Raises:
      FileNotFoundError: a file does not exist.
      ValueError: the files differ in line count, or are empty.
    """
    sources = read_sentences(source_path)
    references = read_sentences(reference_path)
    if len(sources) != len(references):
        raise ValueError(f"{source_path} has {len(sources)} lines but {reference_path} has "
                         f"{len(references)}; they must be aligned line by line")
    if not sources:
        raise ValueError(f"{source_path} is empty: nothing to evaluate")
    return score_lines(translator, sources, references, warm_up=True)
