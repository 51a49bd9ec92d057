"""Scores of translations against references: exact match, and BLEU and chrF by sacrebleu.

BLEU and chrF come from sacrebleu (`pip install legacy-seq2seq[bleu]`). `--eval` and
validation score detokenized text against the raw reference lines with sacrebleu's standard
`13a` tokenization (`tokenize="13a"`), the figure papers report; text already tokenized the
model's way (the demo's tokens joined by spaces) is scored with `tokenize="none"`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any


def exact_match(hypotheses: Sequence[Sequence[Any]], references: Sequence[Sequence[Any]]) -> float:
    """Share of hypotheses equal to their reference, token for token.

    Args:
      hypotheses: token lists.
      references: one token list per hypothesis.

    Returns:
      A float in [0, 1] (0 for no sentences).
    """
    if not hypotheses:
        return 0.0
    return sum(list(h) == list(r) for h, r in zip(hypotheses, references)) / len(hypotheses)


@dataclasses.dataclass(frozen=True)
class CorpusScores:
    """Corpus-level scores, each in [0, 100].

    Attributes:
      bleu: BLEU (4-grams, one reference, sacrebleu's default exponential smoothing).
      chrf: chrF2 (character 6-grams, beta 2).
      bleu_signature: sacrebleu's signature of the BLEU settings, for reproducibility.
      chrf_signature: the same for chrF.
    """

    bleu: float
    chrf: float
    bleu_signature: str
    chrf_signature: str


def _sacrebleu() -> Any:
    try:
        import sacrebleu
    except ImportError:
        raise ImportError("BLEU and chrF need sacrebleu: pip install 'legacy-seq2seq[bleu]' "
                          "(or pip install sacrebleu)") from None
    return sacrebleu


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str],
                  tokenize: str = "none") -> CorpusScores:
    """BLEU and chrF of hypotheses against one reference each.

    Args:
      hypotheses: translations.
      references: one reference per hypothesis.
      tokenize: sacrebleu's BLEU tokenizer: "none" for text already tokenized (tokens
        joined by single spaces), "13a" (sacrebleu's standard) for detokenized text.

    Returns:
      The scores and their sacrebleu signatures.

    Raises:
      ValueError: the two lists differ in length.
      ImportError: sacrebleu is not installed.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    sacrebleu = _sacrebleu()
    bleu = sacrebleu.metrics.BLEU(tokenize=tokenize)
    chrf = sacrebleu.metrics.CHRF()
    hypotheses, refs = list(hypotheses), [list(references)]
    return CorpusScores(
        bleu=bleu.corpus_score(hypotheses, refs).score,
        chrf=chrf.corpus_score(hypotheses, refs).score,
        bleu_signature=str(bleu.get_signature()),
        chrf_signature=str(chrf.get_signature()))
