"""`legacy_seq2seq.keras` behaves as Keras users expect and shares weights with the function API.

Weights move losslessly between the layers and a `Template`; a TF 1.15 checkpoint
of the translate demo reproduces its golden `--decode` output; models built from
the layers train with `fit`, evaluate, predict, mask padded steps, round-trip
through `get_config` and `.keras` files (reloaded in a fresh process), and run
under a mixed precision policy. (The golden cases: `test_keras_golden.py`.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from case_builder import load_cases

import data_utils
import legacy_seq2seq as seq2seq
from legacy_seq2seq.keras import (
    AttentionDecoder,
    AttentionPooling,
    EmbeddingAttentionSeq2Seq,
    make_cell,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = {case.name: case for case in load_cases(os.path.join(HERE, "golden_extra"))}
TRANSLATE_GOLDEN = os.path.join(ROOT, "tests", "translate", "golden", "tf1_ckpt", "lstm1_full")
BUCKETS = ((5, 10), (10, 15), (20, 25), (40, 50))


def _lstm2_case():
    case = CASES["embedding_attention_seq2seq_lstm2_2heads_isa_fptensor_false"]
    config = dict(num_encoder_symbols=6, num_decoder_symbols=7, embedding_size=3, num_units=4,
                  cell_type="BasicLSTMCell", num_layers=2, num_heads=2,
                  initial_state_attention=True)
    assert case.config["cell"]["num_units"] == config["num_units"]
    return case, config


def _function_api_template(config: dict) -> seq2seq.Template:
    def model(encoder_ids, decoder_ids, mode="train"):
        cell = make_cell(config["cell_type"], config["num_units"], config["num_layers"])
        common = dict(num_heads=config["num_heads"],
                      initial_state_attention=config["initial_state_attention"])
        if mode == "beam":
            return seq2seq.embedding_attention_beam_search(
                encoder_ids, cell, config["num_encoder_symbols"], config["num_decoder_symbols"],
                config["embedding_size"], beam_size=3, max_length=5, **common)
        return seq2seq.loop_embedding_attention_seq2seq(
            encoder_ids, decoder_ids, cell, config["num_encoder_symbols"],
            config["num_decoder_symbols"], config["embedding_size"], **common)[0]

    return seq2seq.Template(model)


def test_weights_move_losslessly_between_the_model_and_a_template():
    case, config = _lstm2_case()
    enc = tf.constant(case.io["encoder_inputs"])  # time-major
    dec = tf.constant(case.io["decoder_inputs"])
    template = _function_api_template(config)
    template(enc, dec)
    template.load_tf1_checkpoint(case.checkpoint)

    model = EmbeddingAttentionSeq2Seq(**config)
    enc_b, dec_b = tf.transpose(enc), tf.transpose(dec)  # batch-major, as in Keras
    model([enc_b, dec_b])
    model.set_weights_by_name(template)
    expected = template(enc, dec).numpy()
    np.testing.assert_array_equal(np.transpose(model([enc_b, dec_b]).numpy(), [1, 0, 2]),
                                  expected)
    beam = model.beam_search(enc_b, beam_size=3, max_length=5)
    reference = template(enc, None, mode="beam")
    np.testing.assert_array_equal(beam.tokens.numpy(), reference.tokens.numpy())
    np.testing.assert_array_equal(beam.scores.numpy(), reference.scores.numpy())

    # Back: change the model's weights, copy them into a fresh Template.
    for variable in model.weights_by_name.values():
        variable.assign_add(tf.fill(variable.shape, tf.constant(0.01, variable.dtype)))
    fresh = _function_api_template(config)
    fresh(enc, dec)
    for name, variable in fresh.variables_by_name.items():
        variable.assign(model.weights_by_name[name])
    changed = fresh(enc, dec).numpy()
    assert not np.array_equal(changed, expected)
    np.testing.assert_array_equal(np.transpose(model([enc_b, dec_b]).numpy(), [1, 0, 2]),
                                  changed)


def test_tf1_translate_checkpoint_reproduces_the_golden_decode_output():
    """The TF 1.15 demo's checkpoint in the Keras model decodes as the original did."""
    source_vocab, _ = data_utils.initialize_vocabulary(
        os.path.join(TRANSLATE_GOLDEN, "data", "vocab500.from"))
    _, rev_target_vocab = data_utils.initialize_vocabulary(
        os.path.join(TRANSLATE_GOLDEN, "data", "vocab500.to"))
    with open(os.path.join(TRANSLATE_GOLDEN, "decode_input.txt"), "rb") as f:
        sentences = f.read().splitlines()
    with open(os.path.join(TRANSLATE_GOLDEN, "decode_stdout.txt"), encoding="utf-8") as f:
        expected = [line[2:] for line in f.read().splitlines() if line.startswith("> ")]
    model = EmbeddingAttentionSeq2Seq(500, 500, 32, 32, cell_type="BasicLSTMCell")
    model.build()
    # The checkpoint also holds the demo's global step and learning rate.
    model.load_tf1_checkpoint(os.path.join(TRANSLATE_GOLDEN, "train"), allow_unexpected=True)
    translations = []
    for sentence in sentences:
        ids = data_utils.sentence_to_token_ids(sentence, source_vocab)
        encoder_size, decoder_size = next((b for b in BUCKETS if b[0] >= len(ids)), BUCKETS[-1])
        # The original's layout: padded to the bucket, reversed (a sentence longer than
        # every bucket keeps its last tokens).
        padded = ids + [data_utils.PAD_ID] * (encoder_size - len(ids))
        encoder = list(reversed(padded))[:encoder_size]
        result = model.greedy_decode(np.array([encoder]), max_length=decoder_size)
        tokens = result.tokens.numpy()[0][:result.lengths.numpy()[0]]
        translations.append(" ".join(rev_target_vocab[t].decode() for t in tokens))
    assert len(sentences) == 48
    assert translations == expected[:len(sentences)]


def _toy_data(rng, batch=16, enc_len=5, dec_len=6, vocab=12):
    enc = rng.integers(3, vocab, (batch, enc_len)).astype("int32")
    dec = rng.integers(3, vocab, (batch, dec_len)).astype("int32")
    dec[:, -2:] = 0  # padding
    targets = np.concatenate([dec[:, 1:], np.zeros((batch, 1), "int32")], axis=1)
    return enc, dec, targets


def test_masked_steps_do_not_count_in_the_loss():
    rng = np.random.default_rng(0)
    enc, dec, targets = _toy_data(rng)
    model = EmbeddingAttentionSeq2Seq(12, 12, 4, 8, mask_id=0)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss = model.evaluate([enc, dec], targets, verbose=0)
    other = targets.copy()
    other[dec == 0] = 7  # other labels at the padded steps only
    assert model.evaluate([enc, dec], other, verbose=0) == pytest.approx(loss, rel=1e-6)
    other[:, 0] = (other[:, 0] + 1) % 12  # a real step changes the loss
    assert model.evaluate([enc, dec], other, verbose=0) != pytest.approx(loss, rel=1e-6)


def test_attention_decoder_masks_padded_encoder_states_and_passes_the_decoder_mask():
    rng = np.random.default_rng(1)
    states = rng.normal(size=(2, 5, 6)).astype("float32")
    inputs = rng.normal(size=(2, 3, 4)).astype("float32")
    layer = AttentionDecoder(6, num_heads=2, return_attention_weights=True)
    encoder_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    decoder_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    states_in = keras.Input((5, 6))
    inputs_in = keras.Input((3, 4))
    masked_states = keras.layers.Masking(0.0)(states_in)
    masked_inputs = keras.layers.Masking(0.0)(inputs_in)
    outputs, _, weights = layer([masked_inputs, masked_states])
    model = keras.Model([inputs_in, states_in], [outputs, weights])
    padded_states = states * encoder_mask[:, :, None]
    padded_inputs = inputs * decoder_mask[:, :, None]
    out, att = model([padded_inputs, padded_states])
    np.testing.assert_array_equal(att.numpy()[0, :, :, 3:], 0.0)
    np.testing.assert_allclose(att.numpy().sum(-1), 1.0, rtol=1e-6)
    # Row 0 decodes as if its encoder had only its first 3 states.
    short, _, _ = layer([padded_inputs[:1], padded_states[:1, :3]])
    np.testing.assert_allclose(out.numpy()[0], short.numpy()[0], rtol=1e-5, atol=1e-6)
    outputs = layer([inputs, states], mask=[tf.constant(decoder_mask), None])[0]
    np.testing.assert_array_equal(np.asarray(outputs._keras_mask), decoder_mask)


def test_attention_pooling_is_attention_pool_and_masks_padding():
    rng = np.random.default_rng(2)
    states = tf.constant(rng.normal(size=(3, 4, 5)), tf.float32)
    query = tf.constant(rng.normal(size=(3, 7)), tf.float32)
    layer = AttentionPooling(attention_score="luong_general", return_attention_weights=True)
    pooled, weights = layer([states, query])
    template = seq2seq.Template(
        lambda s, q, lengths=None: seq2seq.attention_pool(s, q, score="luong_general",
                                                          lengths=lengths))
    template(states, query)
    template_weights = {name: v.numpy() for name, v in template.variables_by_name.items()}
    layer.set_weights_by_name(template_weights)
    pooled, weights = layer([states, query])
    ref_pooled, ref_weights = template(states, query)
    np.testing.assert_array_equal(pooled.numpy(), ref_pooled.numpy())
    np.testing.assert_array_equal(weights.numpy(), ref_weights.numpy())
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    _, masked = layer([states, query], mask=[tf.constant(mask), None])
    ref_pooled, ref_weights = template(states, query, lengths=mask.sum(1))
    np.testing.assert_allclose(masked.numpy(), ref_weights.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(masked.numpy()[~mask], 0.0)


_FRESH_PROCESS = textwrap.dedent("""
    import sys
    import keras
    import numpy as np
    import legacy_seq2seq.keras  # registers the classes
    data = np.load(sys.argv[2])
    model = keras.models.load_model(sys.argv[1])
    outputs = model.predict([data["enc"], data["dec"]], verbose=0)
    np.save(sys.argv[3], outputs)
""")


def _run_fresh(model_path: str, data_path: str, out_path: str) -> np.ndarray:
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", _FRESH_PROCESS, model_path, data_path, out_path],
                   check=True, env=env, cwd=ROOT, timeout=300)
    return np.load(out_path)


def _fit_predict_and_reload(logits_of, seed: int, tmp_path) -> tuple[np.ndarray, np.ndarray]:
    """A functional model `logits_of(encoder_ids, decoder_ids)` on toy data: trains a few
    steps (the loss must fall), evaluates, predicts, saves as .keras and reloads in a
    fresh process; returns both predictions."""
    enc, dec, targets = _toy_data(np.random.default_rng(seed), batch=32)
    encoder_ids = keras.Input((None,), dtype="int32")
    decoder_ids = keras.Input((None,), dtype="int32")
    model = keras.Model([encoder_ids, decoder_ids], logits_of(encoder_ids, decoder_ids))
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit([enc, dec], targets, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(model.evaluate([enc, dec], targets, verbose=0))
    predicted = model.predict([enc, dec], verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    np.savez(tmp_path / "data.npz", enc=enc, dec=dec)
    return predicted, _run_fresh(path, str(tmp_path / "data.npz"), str(tmp_path / "out.npy"))


@pytest.mark.slow
def test_functional_seq2seq_trains_and_reloads_from_a_keras_file_in_a_fresh_process(tmp_path):
    def logits_of(encoder_ids, decoder_ids):
        return EmbeddingAttentionSeq2Seq(12, 12, 4, 8, cell_type="BasicLSTMCell", num_heads=2,
                                         output_projection=True, mask_id=0)(
                                             [encoder_ids, decoder_ids])

    predicted, reloaded = _fit_predict_and_reload(logits_of, 3, tmp_path)
    assert predicted.shape == (32, 6, 12)
    np.testing.assert_array_equal(reloaded, predicted)


@pytest.mark.slow
def test_attention_decoder_in_a_functional_model_with_keras_layers(tmp_path):
    def logits_of(encoder_ids, decoder_ids):
        encoded, state = keras.layers.GRU(8, return_sequences=True, return_state=True)(
            keras.layers.Embedding(12, 4, mask_zero=True)(encoder_ids))
        embedded = keras.layers.Embedding(12, 4, mask_zero=True)(decoder_ids)
        outputs, _ = AttentionDecoder(8, attention_score="luong_general")(
            [embedded, encoded], initial_state=[state])
        return keras.layers.Dense(12)(outputs)

    predicted, reloaded = _fit_predict_and_reload(logits_of, 4, tmp_path)
    np.testing.assert_array_equal(reloaded, predicted)


def test_subclassed_model_with_attention_pooling_trains():
    class Classifier(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(20, 6, mask_zero=True)
            self.rnn = keras.layers.GRU(6, return_sequences=True, return_state=True)
            self.pool = AttentionPooling()
            self.out = keras.layers.Dense(2)

        def call(self, ids):
            states, final = self.rnn(self.embed(ids))
            return self.out(self.pool([states, final]))

    rng = np.random.default_rng(5)
    ids = rng.integers(1, 20, (64, 7)).astype("int32")
    labels = (ids[:, 0] > 10).astype("int32")
    model = Classifier()
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    # fit builds the unbuilt model symbolically (its weights get their variables later).
    history = model.fit(ids, labels, epochs=1, batch_size=32, verbose=0)
    pooling = {name: v.numpy() for name, v in model.pool.weights_by_name.items()}
    assert sorted(pooling) == [f"attention_pool/{name}" for name in (
        "Attention_0/bias", "Attention_0/kernel", "AttnV_0", "AttnW_0")]
    history = model.fit(ids, labels, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for name, variable in model.pool.weights_by_name.items():  # trained: the gradient reaches them
        assert not np.array_equal(variable.numpy(), pooling[name]), name


@pytest.mark.parametrize("layer", [
    AttentionDecoder(5, cell_type="BasicLSTMCell", num_layers=2, num_heads=2,
                     attention_score="luong_concat", feed_previous=True,
                     return_attention_weights=True, cell_options={"forget_bias": 0.5}),
    AttentionPooling("luong_dot", return_attention_weights=True),
    EmbeddingAttentionSeq2Seq(9, 10, 5, 6, num_layers=2, output_projection=True, mask_id=0,
                              attention_score="luong_general"),
], ids=lambda layer: type(layer).__name__)
def test_get_config_round_trips(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)).get_config() == config


def test_mixed_precision_keeps_float32_weights_and_tf1_checkpoints_load():
    case, config = _lstm2_case()
    enc, dec = case.io["encoder_inputs"].T, case.io["decoder_inputs"].T
    reference = EmbeddingAttentionSeq2Seq(**config)
    reference([enc, dec])
    reference.load_tf1_checkpoint(case.checkpoint)
    mixed = EmbeddingAttentionSeq2Seq(**config, dtype="mixed_float16")
    logits = mixed([enc, dec])
    mixed.load_tf1_checkpoint(case.checkpoint)
    assert logits.dtype == tf.float16
    assert {v.dtype for v in mixed.weights_by_name.values()} == {tf.float32}
    np.testing.assert_allclose(mixed([enc, dec]).numpy().astype(np.float32),
                               reference([enc, dec]).numpy(), atol=2e-2, rtol=2e-2)
    mixed.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss = mixed.train_on_batch([enc, dec], dec)
    assert np.isfinite(loss)


def test_bad_configurations_and_calls_get_clear_errors():
    with pytest.raises(ValueError, match="Unknown cell_type 'GRU'"):
        AttentionDecoder(4, cell_type="GRU")
    with pytest.raises(ValueError, match="Unknown attention_score 'dot'"):
        AttentionPooling("dot")
    model = EmbeddingAttentionSeq2Seq(5, 5, 3, 4)
    with pytest.raises(ValueError, match="not built"):
        model.load_tf1_checkpoint("nowhere")
    model.build()
    with pytest.raises(ValueError, match="do not match by name"):
        model.set_weights_by_name({"embedding_attention_seq2seq/rnn/embedding_wrapper/x": 1.0})
