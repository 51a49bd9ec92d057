"""Attention weights mapped back to the source words, and the heatmap PNG (`--attention_plot`)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf
from features_testlib import golden_answers, golden_inputs, golden_model, load_demo_model
from translate_testlib import copy_golden, read_flags, run_cli

import data_utils
from translate import batching
from translate.infer import attention_plot
from translate.seq2seq_model import Seq2SeqModel

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _words(tokens: list[bytes]) -> list[str]:
    return [t.decode("utf-8", "replace") for t in tokens]


@pytest.fixture(scope="module")
def golden_gru2():
    return golden_model("gru2_sampled")


@pytest.mark.parametrize("sentence", [b"I thought you were asleep.", b"Stop hitting me!",
                                      b"one two three four five six seven eight nine ten"])
def test_weights_follow_the_source_words_in_reading_order(golden_gru2, sentence):
    loaded = golden_gru2
    source_ids = data_utils.sentence_to_token_ids(sentence, loaded.source_vocab)
    words = _words(data_utils.basic_tokenizer(sentence))
    target_ids = [5, 6, 7]
    alignment = attention_plot.align(loaded.model, source_ids, words, target_ids, ["a", "b", "c"])
    assert alignment.source_words == words
    assert alignment.target_words == ["a", "b", "c", "_EOS"]
    # Rows (with the padding's share) are distributions.
    totals = alignment.weights.sum(axis=1) + alignment.padding_weight
    np.testing.assert_allclose(totals, 1.0, atol=1e-5)
    assert (alignment.weights >= 0).all()
    # Against the raw weights, found by where each source id sits in the encoder input.
    bucket_id, _ = batching.bucket_for_sentence(len(source_ids), loaded.model.buckets)
    encoder_size, decoder_size = loaded.model.buckets[bucket_id]
    encoder, decoder, _ = batching.make_batch([(source_ids, target_ids + [2])], encoder_size,
                                              decoder_size)
    _, raw = loaded.model.alignment(encoder, decoder)
    column = np.asarray(encoder)[:, 0].tolist()
    assert alignment.num_padding == column.count(data_utils.PAD_ID)
    for k, token_id in enumerate(source_ids):
        if source_ids.count(token_id) == 1:
            np.testing.assert_array_equal(alignment.weights[:, k],
                                          raw[:4, 0, column.index(token_id)])


def test_a_sentence_longer_than_every_bucket_shows_its_last_words():
    model = Seq2SeqModel(10, 8, [(2, 4), (4, 6)], 8, 1, 5.0, 4, 0.5, 0.9, forward_only=True)
    words = [f"w{i}" for i in range(6)]
    alignment = attention_plot.align(model, list(range(4, 10)), words, [5],
                                     ["x"])
    assert alignment.source_words == words[2:]
    assert alignment.num_padding == 0
    np.testing.assert_allclose(alignment.weights.sum(axis=1), 1.0, atol=1e-5)


def test_mismatched_words_are_refused(golden_gru2):
    with pytest.raises(ValueError, match="2 source words for 3 ids"):
        attention_plot.align(golden_gru2.model, [4, 5, 6], ["a", "b"], [5], ["x"])


@pytest.mark.slow
def test_a_trained_model_attends_to_the_word_it_translates(trained_demo):
    loaded = load_demo_model(trained_demo)
    sentence = b"the first of May nineteen ninety"
    reference = b"le premier mai mille neuf cent quatre-vingt-dix"
    target_vocab = {w: i for i, w in enumerate(loaded.rev_target_vocab)}
    target_ids = [target_vocab[w] for w in data_utils.basic_tokenizer(reference)]
    alignment = attention_plot.align(
        loaded.model,
        data_utils.sentence_to_token_ids(sentence, loaded.source_vocab),
        _words(data_utils.basic_tokenizer(sentence)), target_ids,
        _words(data_utils.basic_tokenizer(reference)))
    row = alignment.target_words.index("mai")
    assert alignment.source_words[int(np.argmax(alignment.weights[row]))] == "May"
    row = alignment.target_words.index("premier")
    assert alignment.source_words[int(np.argmax(alignment.weights[row]))] == "first"


def test_png_is_valid_and_sized_for_the_words(golden_gru2):
    alignment = attention_plot.Alignment(
        source_words=["Café", ",", "crème", "brûlée"], target_words=["Le", "café", "_EOS"],
        weights=np.full((3, 4), 0.2, np.float32), padding_weight=np.full(3, 0.2, np.float32),
        num_padding=1)
    png = attention_plot.render_png(alignment, title="Café, crème brûlée")
    assert png.startswith(PNG_SIGNATURE)
    image = tf.io.decode_png(png)
    height, width, channels = image.shape
    assert channels == 4 and width >= 400 and height >= 300
    wider = attention_plot.render_png(_uniform_alignment(alignment, 20))
    assert tf.io.decode_png(wider).shape[1] > width


def _uniform_alignment(alignment: attention_plot.Alignment,
                                columns: int) -> attention_plot.Alignment:
    return attention_plot.Alignment(
        source_words=[f"w{i}" for i in range(columns)], target_words=alignment.target_words,
        weights=np.full((len(alignment.target_words), columns), 1 / columns, np.float32),
        padding_weight=np.zeros(len(alignment.target_words), np.float32), num_padding=0)


@pytest.mark.slow
def test_decode_with_attention_plot_prints_the_same_and_writes_one_png_per_line(tmp_path):
    directory = copy_golden("lstm1_full", str(tmp_path))
    stdin = b"\n".join(golden_inputs("lstm1_full")[:2]) + b"\n"
    proc = run_cli(["--decode", "--attention_plot=plots/attention.png", "--data_dir=data",
                    "--train_dir=train", *read_flags(directory)], cwd=directory, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    answers = golden_answers("lstm1_full")[:2]
    assert proc.stdout.decode() == ("Reading model parameters from train/translate.ckpt-2000\n> "
                                    + "".join(a + "\n> " for a in answers))
    plots = os.path.join(directory, "plots")
    assert sorted(os.listdir(plots)) == ["attention-2.png", "attention.png"]
    for name in os.listdir(plots):
        with open(os.path.join(plots, name), "rb") as f:
            assert f.read(8) == PNG_SIGNATURE
    assert "Attention plot of line 2 written to plots/attention-2.png" in proc.stderr.decode()
