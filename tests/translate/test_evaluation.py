"""`--eval`: BLEU and chrF by sacrebleu, and the decoding speed."""

from __future__ import annotations

import math
import re

import pytest
import sacrebleu
from features_testlib import golden_answers, golden_inputs, golden_model, load_demo_model
from translate_testlib import copy_golden, read_flags, run_cli

from translate.infer import metrics
from translate.infer.batch import BatchTranslator
from translate.infer.evaluation import evaluate_files, score_lines


def test_exact_match():
    assert metrics.exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert metrics.exact_match([], []) == 0.0


def test_bleu_and_chrf_of_a_perfect_corpus():
    corpus = ["le chat noir dort .", "un deux trois quatre"]
    scores = metrics.corpus_scores(corpus, corpus)
    assert scores.bleu == pytest.approx(100.0) and scores.chrf == pytest.approx(100.0)
    assert "tok:none" in scores.bleu_signature


def test_bleu_is_corpus_bleu_over_the_given_tokens():
    # Clipped n-gram matches pooled over both sentences: 9/10, 6/8, 3/6, 1/4; lengths 10 and
    # 10, so no brevity penalty. The tokens are taken as they are (tok:none): "a,b" is one.
    hypotheses = ["a b c d", "a b c d e f"]
    references = ["a b c d", "a b c x e f"]
    expected = 100 * (9 / 10 * 6 / 8 * 3 / 6 * 1 / 4) ** 0.25
    assert metrics.corpus_scores(hypotheses, references).bleu == pytest.approx(expected)
    # Brevity penalty exp(1 - 7/6) for 6 hypothesis tokens against 7.
    short = metrics.corpus_scores(["a b c d x e"], ["a b c d y e f"]).bleu
    expected = 100 * math.exp(1 - 7 / 6) * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert short == pytest.approx(expected)
    assert metrics.corpus_scores(["a,b c d e"], ["a , b c d e"]).bleu < 100


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        metrics.corpus_scores(["a", "b"], ["a"])


def test_13a_tokenizes_detokenized_text_where_none_does_not():
    # 13a splits the punctuation off the words, so detokenized text scores as its tokens.
    detokenized, tokenized = ["Le chat, noir dort."], ["Le chat , noir dort ."]
    scores = metrics.corpus_scores(detokenized, tokenized, tokenize="13a")
    assert scores.bleu == pytest.approx(100.0) and "tok:13a" in scores.bleu_signature
    assert metrics.corpus_scores(detokenized, tokenized).bleu < 50


def test_score_lines_scores_raw_references_with_13a():
    loaded = golden_model("gru2_sampled")
    translator = BatchTranslator(loaded.model, loaded.codec)
    sources = golden_inputs("gru2_sampled")[:8]
    answers = golden_answers("gru2_sampled")[:8]
    # The same answers written as plain text (no space before the punctuation), with line
    # ends: 13a tokenizes them back to the model's tokens.
    references = [a.replace(" .", ".").replace(" ,", ",").encode() + b"\r\n" for a in answers]
    assert references != [a.encode() for a in answers]
    result = score_lines(translator, sources, references)
    assert result.translations == answers
    assert result.references == [r.decode().rstrip() for r in references]
    assert result.scores.bleu == pytest.approx(100.0)
    assert "tok:13a" in result.scores.bleu_signature
    with pytest.raises(ValueError, match="8 source lines but 7 references"):
        score_lines(translator, sources, references[:7])


@pytest.mark.slow
def test_golden_decode_scores_100_against_the_originals_own_output(tmp_path):
    loaded = golden_model("gru2_sampled")
    source, reference = tmp_path / "src.txt", tmp_path / "ref.txt"
    source.write_bytes(b"\n".join(golden_inputs("gru2_sampled")) + b"\n")
    reference.write_text("\n".join(golden_answers("gru2_sampled")) + "\n", encoding="utf-8")
    translator = BatchTranslator(loaded.model, loaded.codec)
    result = evaluate_files(translator, str(source), str(reference))
    assert result.scores.bleu == pytest.approx(100.0)
    assert result.scores.chrf == pytest.approx(100.0)
    assert result.report.sentences == 48 and result.report.seconds > 0
    assert result.translations == golden_answers("gru2_sampled")


def test_eval_files_must_align(tmp_path):
    loaded = golden_model("lstm1_full")
    translator = BatchTranslator(loaded.model, loaded.codec)
    (tmp_path / "a").write_text("one\ntwo\n")
    (tmp_path / "b").write_text("un\n")
    with pytest.raises(ValueError, match=r"a has 2 lines but .*b has 1; they must be aligned"):
        evaluate_files(translator, str(tmp_path / "a"), str(tmp_path / "b"))
    (tmp_path / "empty").write_text("")
    with pytest.raises(ValueError, match="is empty: nothing to evaluate"):
        evaluate_files(translator, str(tmp_path / "empty"), str(tmp_path / "empty"))


@pytest.mark.slow
def test_beam_search_scores_on_the_trained_demo(trained_demo):
    loaded = load_demo_model(trained_demo)
    results = {}
    for beam_size in (None, 4):
        translator = BatchTranslator(loaded.model, loaded.codec, beam_size=beam_size)
        results[beam_size] = evaluate_files(translator, trained_demo["dev_source"],
                                            trained_demo["dev_reference"])
    greedy, beam = results[None], results[4]
    # The demo's own report came from the same greedy translations; --eval scores them
    # against the raw reference lines, as sacrebleu's default (13a) does.
    assert greedy.translations == trained_demo["result"].translations
    with open(trained_demo["dev_reference"], encoding="utf-8") as f:
        references = f.read().splitlines()
    expected = sacrebleu.corpus_bleu(greedy.translations, [references]).score
    assert greedy.scores.bleu == pytest.approx(expected)
    assert greedy.scores.bleu > 50 and beam.scores.bleu > 50
    assert beam.method == "beam search (4)" and greedy.method == "greedy"


@pytest.mark.slow
def test_eval_command_line(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    (tmp_path / "ref.txt").write_text("\n".join(golden_answers("lstm1_full")) + "\n",
                                      encoding="utf-8")
    proc = run_cli(["--eval", "--eval_source=decode_input.txt",
                    f"--eval_reference={tmp_path / 'ref.txt'}", "--batch_size=16",
                    "--data_dir=data", "--train_dir=train", *read_flags(directory)],
                   cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode().split("\n")
    assert out[0] == "Reading model parameters from train/translate.ckpt-2000"
    assert out[1] == "BLEU 100.00  chrF 100.00  (48 sentences, greedy)"
    assert out[2].startswith("  nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert out[3].startswith("  nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:")
    assert re.fullmatch(r"Decoding: 48 sentences in \d+\.\d\d s, \d+\.\d sentences/s "
                        r"\(batches of 16\)\.", out[4])
    missing = run_cli(["--eval", "--data_dir=data", "--train_dir=train",
                       *read_flags(directory)], cwd=directory)
    assert missing.returncode == 1
    assert "--eval needs --eval_source and --eval_reference" in missing.stderr.decode()
