"""The demo (`make demo`) on a tiny budget, its batched decoding, and the scores it prints."""

from __future__ import annotations

import math
import os

import pytest

import data_utils
from translate import decoding, metrics
from translate.demo import normalized_tokens, run_demo, translate_sentences
from translate.hparams import HParams
from translate.model_setup import create_model

TINY = HParams(size=16, num_layers=1, batch_size=16)


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp("demo"))
    result = run_demo(work_dir, steps=30, show=3, hparams=TINY, num_train=400, num_dev=30,
                      steps_per_checkpoint=15)
    return work_dir, result


def test_demo_runs_and_reports(tiny_demo, capsys):
    work_dir, result = tiny_demo
    assert len(result.sources) == len(result.references) == len(result.translations) == 30
    assert 0.0 <= result.accuracy <= 1.0 and 0.0 <= result.bleu <= 100.0
    assert sorted(f for f in os.listdir(os.path.join(work_dir, "train"))
                  if f.endswith(".index")) == ["translate.ckpt-15.index",
                                               "translate.ckpt-30.index"]


def test_demo_resumes_instead_of_retraining(tiny_demo, capsys):
    work_dir, first = tiny_demo
    again = run_demo(work_dir, steps=30, show=2, hparams=TINY, num_train=400, num_dev=30)
    out = capsys.readouterr().out
    assert "Global step 30 has reached --max_steps=30; nothing to train." in out
    assert again.translations == first.translations
    assert out.count("reference: ") == 2
    assert "Exact match on all 30 held-out sentences: " in out
    assert "python -m translate --decode --data_dir=" in out


def test_batched_translation_equals_decode_one_by_one(tiny_demo):
    work_dir, result = tiny_demo
    hparams = HParams(size=16, num_layers=1, from_vocab_size=_vocab_size(work_dir, "from"),
                      to_vocab_size=_vocab_size(work_dir, "to"))
    model = create_model(hparams, os.path.join(work_dir, "train"), forward_only=True)
    source_vocab, rev_target_vocab = decoding.load_vocabularies(
        os.path.join(work_dir, "data"), hparams.from_vocab_size, hparams.to_vocab_size)
    # Mixed lengths, so that sentences of several buckets share a call.
    sentences = result.sources[:10] + ["", "one " * 12, "zzz unknown words"]
    batched = translate_sentences(model, sentences, source_vocab, rev_target_vocab)
    for sentence, tokens in zip(sentences, batched):
        one = decoding.translate_line(model, sentence.encode(), source_vocab, rev_target_vocab)
        assert one == " ".join(t.decode() for t in tokens)


def _vocab_size(work_dir: str, side: str) -> int:
    (name,) = [f for f in os.listdir(os.path.join(work_dir, "data")) if f.endswith("." + side)]
    return int(name[len("vocab"):-len(side) - 1])


def test_exact_match():
    assert metrics.exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert metrics.exact_match([], []) == 0.0


def test_bleu_by_hand():
    assert metrics.corpus_bleu([["a", "b", "c", "d"]], [["a", "b", "c", "d"]]) == 100.0
    # Precisions 4/5, 2/4, 0/3: no trigram matches, so 0 without smoothing.
    assert metrics.corpus_bleu([list("abxcd")], [list("abcd")]) == 0.0
    # Precisions 5/6, 3/5, 2/4, 1/3, lengths 6 vs 7: brevity penalty exp(1 - 7/6).
    hypothesis, reference = list("abcdxe"), list("abcdyef")
    expected = 100 * math.exp(1 - 7 / 6) * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert metrics.corpus_bleu([hypothesis], [reference]) == pytest.approx(expected)


def test_bleu_pools_counts_over_the_corpus():
    hyps = [list("abcd"), list("abcdef")]
    refs = [list("abcd"), list("abcxef")]
    # Pooled matches/totals: 9/10, 6/8, 3/6, 1/4 (sentence scores would be 100 and 0).
    expected = 100 * (9 / 10 * 6 / 8 * 3 / 6 * 1 / 4) ** 0.25
    assert metrics.corpus_bleu(hyps, refs) == pytest.approx(expected)
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        metrics.corpus_bleu([["a"], ["b"]], [["a"]])


def test_demo_tokens_are_the_models():
    # References are compared as the model sees them: tutorial tokens with digits as 0.
    assert normalized_tokens("le 1er mai 2021") == [b"le", b"0er", b"mai", b"0000"]
    assert normalized_tokens("Go, now!") == data_utils.basic_tokenizer(b"Go, now!")
