"""`--eval`: translate a source file, score it against its reference, time the decoding.

    python -m translate --eval --data_dir=data --train_dir=train [model flags] \\
        [--eval_source=dev.en --eval_reference=dev.fr] [--beam_size=4] [--batch_size=64]

Without --eval_source/--eval_reference the dev files of training are used
(--from_dev_data/--to_dev_data). The references are tokenized as the model's targets were
(`basic_tokenizer`, digits to 0 unless --nonormalize_digits), and BLEU and chrF are computed
by sacrebleu on those tokens (see `translate.infer.metrics`). Prints, e.g.:

    BLEU 41.27  chrF 63.05  (1001 sentences, greedy)
      nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.6.0
      nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0
    Decoding: 1001 sentences in 4.12 s, 243.0 sentences/s (batches of 64).
"""

from __future__ import annotations

import dataclasses

from data_utils.tokenizer import normalized_tokens
from translate.infer import metrics
from translate.infer.batch import BatchTranslator, DecodeReport, timed_translate
from translate.infer.runtime import read_sentences


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """What `evaluate_files` measured.

    Attributes:
      scores: BLEU and chrF.
      report: sentence count and decoding time.
      method: "greedy" or "beam search (K)".
      batch_size: sentences per batch.
      translations: the hypotheses, tokens joined by spaces.
      references: the references as scored (tokens joined by spaces).
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


def reference_text(line: bytes, normalize_digits: bool) -> str:
    """A reference line tokenized as the model's targets are, tokens joined by spaces."""
    tokens = normalized_tokens(line, normalize_digits=normalize_digits)
    return b" ".join(tokens).decode("utf-8", "replace")


def evaluate_files(translator: BatchTranslator, source_path: str,
                   reference_path: str) -> EvalResult:
    """Translates `source_path` in batches and scores it against `reference_path`.

    Args:
      translator: the translator (its beam size and batch size are used).
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
    hypotheses, report = timed_translate(translator, sources)
    translations = [h[0].text for h in hypotheses]
    scored = [reference_text(r, translator.normalize_digits) for r in references]
    return EvalResult(scores=metrics.corpus_scores(translations, scored), report=report,
                      method=translator.method, batch_size=translator.batch_size,
                      translations=translations, references=scored)
