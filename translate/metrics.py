"""Scores of translations against references: exact-match accuracy and corpus BLEU."""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence


def exact_match(hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
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


def _ngrams(tokens: Sequence[str], n: int) -> collections.Counter:
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(
    hypotheses: Sequence[Sequence[str]], references: Sequence[Sequence[str]], max_order: int = 4
) -> float:
    """Corpus-level BLEU (Papineni et al. 2002) with one reference, no smoothing, in [0, 100].

    Clipped n-gram precisions for n = 1..max_order are pooled over the corpus, combined by a
    geometric mean and multiplied by the brevity penalty exp(1 - r/c) when the hypotheses'
    total length c is below the references' r.

    Args:
      hypotheses: token lists.
      references: one token list per hypothesis.
      max_order: the largest n-gram order.

    Returns:
      BLEU times 100; 0 when some order has no match (or there is no hypothesis token).

    Raises:
      ValueError: the two lists differ in length.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    matches = [0] * max_order
    totals = [0] * max_order
    hyp_length = ref_length = 0
    for hypothesis, reference in zip(hypotheses, references):
        hyp_length += len(hypothesis)
        ref_length += len(reference)
        for n in range(1, max_order + 1):
            hyp_ngrams = _ngrams(hypothesis, n)
            matches[n - 1] += sum((hyp_ngrams & _ngrams(reference, n)).values())
            totals[n - 1] += sum(hyp_ngrams.values())
    if hyp_length == 0 or min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = 1.0 if hyp_length > ref_length else math.exp(1 - ref_length / hyp_length)
    return 100.0 * brevity * math.exp(log_precision)
