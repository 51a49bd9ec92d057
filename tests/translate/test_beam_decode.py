"""Beam search, n-best lists and batched file decoding (`--beam_size`, `--nbest`,
`--input_file`/`--output_file`), checked against what the original TF 1.15 printed."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from features_testlib import (
    golden_answers,
    golden_inputs,
    golden_model,
    load_demo_model,
)
from translate_testlib import TF1_CONFIGS, copy_golden, read_flags, run_cli

from translate import batching
from translate.infer.batch import BatchTranslator, format_hypotheses
from translate.infer.modes import DecodeOptions, plot_path
from translate.infer.runtime import read_sentences


@pytest.mark.slow
@pytest.mark.parametrize("config", TF1_CONFIGS)
@pytest.mark.parametrize("beam_size", [None, 1])
def test_batched_decode_of_golden_inputs_prints_the_originals_answers(config, beam_size):
    # beam_size None: the original's greedy decode in batches; 1: the same search, beam of 1.
    loaded = golden_model(config)
    translator = BatchTranslator(loaded.model, loaded.codec, beam_size=beam_size, batch_size=16)
    hypotheses = translator.translate(golden_inputs(config))
    assert [h[0].text for h in hypotheses] == golden_answers(config)


@pytest.mark.slow
def test_beam_size_one_prints_exactly_the_original_output(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    with open(os.path.join(directory, "decode_input.txt"), "rb") as f:
        stdin = f.read()
    proc = run_cli(["--decode", "--beam_size=1", "--data_dir=data", "--train_dir=train",
                    *read_flags(directory)], cwd=directory, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(os.path.join(directory, "decode_stdout.txt"), "rb") as f:
        assert proc.stdout == f.read()
    assert proc.stderr.decode().count("Sentence truncated: This is a very long sentence") == 1


def test_log_probs_are_the_models_and_beams_are_sorted():
    loaded = golden_model("lstm1_full")
    translator = BatchTranslator(loaded.model, loaded.codec, beam_size=4)
    sentences = golden_inputs("lstm1_full")[:12]
    for sentence, hypotheses in zip(sentences, translator.translate(sentences, nbest=4)):
        log_probs = [h.log_prob for h in hypotheses]
        assert log_probs == sorted(log_probs, reverse=True)
        assert len({h.ids for h in hypotheses}) == 4
        for h in hypotheses:
            # Scored again by teacher forcing: sum of log-softmax of each token and the EOS.
            assert h.log_prob == pytest.approx(
                _teacher_forced_log_prob(translator, sentence, h.ids), abs=1e-4)


def _teacher_forced_log_prob(translator: BatchTranslator, sentence: bytes,
                             target_ids: tuple[int, ...]) -> float:
    source_ids = translator.token_ids(sentence)
    bucket_id, _ = batching.bucket_for_sentence(len(source_ids), translator.model.buckets)
    encoder_size, decoder_size = translator.model.buckets[bucket_id]
    target = (list(target_ids) + [2])[:decoder_size]
    encoder, decoder, _ = batching.make_batch([(source_ids, target)], encoder_size,
                                              decoder_size)
    logits, _ = translator.model.alignment(encoder, decoder)
    logits = logits[:, 0, :].astype(np.float64)
    log_softmax = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(
        1, keepdims=True)) - logits.max(1, keepdims=True)
    return float(sum(log_softmax[t, token] for t, token in enumerate(target)))


@pytest.mark.slow
def test_beam_of_four_never_scores_below_greedy_on_a_trained_demo_model(trained_demo):
    loaded = load_demo_model(trained_demo)
    sentences = read_sentences(trained_demo["dev_source"])
    assert len(sentences) == 200

    def best(beam_size: int) -> list:
        translator = BatchTranslator(loaded.model, loaded.codec, beam_size=beam_size)
        return [h[0] for h in translator.translate(sentences)]

    greedy, beam = best(1), best(4)
    for sentence, g, b in zip(sentences, greedy, beam):
        assert b.log_prob >= g.log_prob - 1e-5, sentence
    # The search is not idle: it finds better-scoring translations for some sentences.
    assert sum(b.log_prob > g.log_prob + 1e-3 for g, b in zip(greedy, beam)) >= 1


@pytest.mark.slow
def test_nbest_output_format(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    proc = run_cli(["--decode", "--beam_size=3", "--nbest=3", "--data_dir=data",
                    "--train_dir=train", *read_flags(directory)], cwd=directory,
                   stdin=b"I'm wet.\nShe liked it.\n")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    assert out.startswith("Reading model parameters from train/translate.ckpt-2000\n> ")
    assert out.endswith("\n> ")
    blocks = out.split("\n")[1:-1]
    assert len(blocks) == 6
    rows = [re.fullmatch(r"(?:> )?(\d)\t(-\d+\.\d{4})\t(.*)", line) for line in blocks]
    assert all(rows), blocks
    assert [int(r.group(1)) for r in rows] == [1, 2, 3, 1, 2, 3]
    assert blocks[0].startswith("> 1\t") and blocks[3].startswith("> 1\t")
    scores = [float(r.group(2)) for r in rows]
    assert scores[:3] == sorted(scores[:3], reverse=True)
    # The first of each block is what --beam_size=3 alone prints.
    loaded = golden_model("lstm1_full")
    translator = BatchTranslator(loaded.model, loaded.codec, beam_size=3)
    best = translator.translate([b"I'm wet.", b"She liked it."])
    assert [rows[0].group(3), rows[3].group(3)] == [h[0].text for h in best]


def test_format_hypotheses():
    from translate.infer.batch import Hypothesis

    hypotheses = [Hypothesis((4, 5), (b"le", b"chat"), "le chat", -1.23456),
                  Hypothesis((4,), (b"le",), "le", -2.5)]
    assert format_hypotheses(hypotheses, nbest=False) == "le chat"
    assert format_hypotheses(hypotheses, nbest=True) == "1\t-1.2346\tle chat\n2\t-2.5000\tle"


@pytest.mark.slow
def test_decode_file_writes_translations_in_input_order(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    output = os.path.join(directory, "out", "translations.txt")
    proc = run_cli(["--decode", "--input_file=decode_input.txt", f"--output_file={output}",
                    "--batch_size=7", "--data_dir=data", "--train_dir=train",
                    *read_flags(directory)], cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(output, encoding="utf-8") as f:
        assert f.read().split("\n") == golden_answers("lstm1_full") + [""]
    stderr = proc.stderr.decode()
    assert stderr.count("Sentence truncated: This is a very long sentence") == 1
    assert re.search(r"Translated 48 lines of decode_input\.txt into .*translations\.txt in "
                     r"\d+\.\d\d s: \d+\.\d sentences/s \(greedy, batches of 7\)\.", stderr)
    assert os.listdir(os.path.dirname(output)) == ["translations.txt"]  # no temporary left


def test_decode_file_with_nbest(tmp_path):
    loaded = golden_model("lstm1_full")
    source = tmp_path / "in.txt"
    source.write_bytes(b"I'm wet.\n\nThe summer vacation begins in July.\n")
    output = tmp_path / "out.txt"
    from translate.infer.batch import decode_file

    translator = BatchTranslator(loaded.model, loaded.codec, beam_size=2, batch_size=2)
    report = decode_file(translator, str(source), str(output), nbest=2)
    assert report.sentences == 3 and report.seconds > 0
    lines = output.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 7
    assert [line.split("\t")[0] for line in lines[:-1]] == ["1", "2"] * 3


@pytest.mark.slow
def test_bad_flag_combinations_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"--nbest=3 needs --beam_size of at least"):
        DecodeOptions(beam_size=2, nbest=3).validate()
    with pytest.raises(ValueError, match=r"--nbest=2 needs --beam_size"):
        DecodeOptions(nbest=2).validate()
    with pytest.raises(ValueError, match="--input_file and --output_file go together"):
        DecodeOptions(input_file="a").validate()
    with pytest.raises(ValueError, match="--beam_size must be at least 1"):
        DecodeOptions(beam_size=0).validate()
    directory = copy_golden("lstm1_full", str(tmp_path))
    proc = run_cli(["--decode", "--input_file=missing.txt", "--output_file=o.txt",
                    "--data_dir=data", "--train_dir=train", *read_flags(directory)],
                   cwd=directory)
    assert proc.returncode == 1
    assert "Error: input file missing.txt does not exist" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode()
    assert not os.path.exists(os.path.join(directory, "o.txt"))


def test_default_options_are_the_originals():
    assert DecodeOptions().is_original
    assert not DecodeOptions(beam_size=1).is_original
    assert not DecodeOptions(replace_unk=True).is_original
    assert plot_path("a/out.png", 1) == "a/out.png"
    assert plot_path("a/out.png", 3) == "a/out-3.png"
