"""The demo (`make demo`) on a tiny budget, its batched decoding, and the scores it prints."""

from __future__ import annotations

import os

import pytest

import data_utils
from translate import model_setup
from translate.demo import demo_tokens, run_demo
from translate.hparams import HParams
from translate.infer import interactive
from translate.infer.batch import BatchTranslator
from translate.infer.codec import WordCodec
from translate.model_setup import create_model

TINY = HParams(size=16, num_layers=1, batch_size=16)


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp("demo"))
    result = run_demo(work_dir, steps=30, show=3, hparams=TINY, num_train=400, num_dev=30,
                      steps_per_checkpoint=15)
    return work_dir, result


@pytest.mark.slow
def test_demo_runs_and_reports(tiny_demo, capsys):
    work_dir, result = tiny_demo
    assert len(result.sources) == len(result.references) == len(result.translations) == 30
    assert 0.0 <= result.accuracy <= 1.0
    assert 0.0 <= result.bleu <= 100.0 and 0.0 <= result.chrf <= 100.0
    assert result.decode_seconds > 0
    assert sorted(f for f in os.listdir(os.path.join(work_dir, "train"))
                  if f.endswith(".index")) == ["translate.ckpt-15.index",
                                               "translate.ckpt-30.index"]


@pytest.mark.slow
def test_demo_resumes_instead_of_retraining(tiny_demo, capsys):
    work_dir, first = tiny_demo
    again = run_demo(work_dir, steps=30, show=2, hparams=TINY, num_train=400, num_dev=30)
    out = capsys.readouterr().out
    assert "Global step 30 has reached --max_steps=30; nothing to train." in out
    assert again.translations == first.translations
    assert out.count("reference: ") == 2
    assert "Exact match on all 30 held-out sentences: " in out
    assert f"BLEU {again.bleu:.1f}, chrF {again.chrf:.1f}." in out
    assert "sentences/s)." in out
    assert "python -m translate --decode --data_dir=" in out


@pytest.mark.slow
def test_batched_translation_equals_decode_one_by_one(tiny_demo):
    work_dir, result = tiny_demo
    hparams = HParams(size=16, num_layers=1, from_vocab_size=_vocab_size(work_dir, "from"),
                      to_vocab_size=_vocab_size(work_dir, "to"))
    model = create_model(hparams, os.path.join(work_dir, "train"), forward_only=True)
    source_vocab, rev_target_vocab = model_setup.load_vocabularies(
        os.path.join(work_dir, "data"), hparams.from_vocab_size, hparams.to_vocab_size)
    # Mixed lengths, so that sentences of several buckets share a call.
    sentences = [s.encode() for s in result.sources[:10]] + [b"", b"one " * 12,
                                                             b"zzz unknown words"]
    codec = WordCodec(source_vocab, rev_target_vocab)
    translator = BatchTranslator(model, codec, batch_size=4)
    for sentence, hypotheses in zip(sentences, translator.translate(sentences)):
        one = interactive.translate_line(model, sentence, codec)
        assert one == hypotheses[0].text
    assert [h[0].text for h in translator.translate(
        [s.encode() for s in result.sources])] == result.translations


def _vocab_size(work_dir: str, side: str) -> int:
    (name,) = [f for f in os.listdir(os.path.join(work_dir, "data")) if f.endswith("." + side)]
    return int(name[len("vocab"):-len(side) - 1])


def test_demo_tokens_are_the_models():
    # The demo corpus is words only, so the tutorial's tokenizer sees it unchanged.
    assert demo_tokens("le premier mai, deux mille") == [b"le", b"premier", b"mai", b",",
                                                         b"deux", b"mille"]
    assert demo_tokens("Go, now!") == data_utils.basic_tokenizer(b"Go, now!")
