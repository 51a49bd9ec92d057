"""The model side of the modern recipe: optimizers, label smoothing, the output projection with
the full softmax, dropout in training only, the bidirectional encoder, and `--recipe`.

The optimizers are checked against TF 1.15's AdamOptimizer and AdagradOptimizer
(tests/translate/golden/optimizers.npz, tools/oracle_tf1/make_optimizer_reference.py).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

import legacy_seq2seq as seq2seq
from translate import recipes
from translate.hparams import HParams
from translate.models import build_model
from translate.seq2seq_model import DECODER_EMBEDDING, _sequence_crossent
from translate.train import optimizers

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "optimizers.npz")
TINY = dict(size=16, num_layers=2, from_vocab_size=30, to_vocab_size=40, batch_size=6,
            buckets=((4, 6), (8, 10)), learning_rate=0.01)


@pytest.mark.parametrize("name", ["adam", "adagrad"])
def test_optimizer_matches_tf1(name):
    ref = np.load(GOLDEN)
    dense = tf.Variable(ref["dense0"])
    table = tf.Variable(ref["table0"])
    optimizer = optimizers.make_optimizer(name, {"dense": dense, "table": table})
    assert sorted(optimizer.slots) == sorted(
        n for n in ref[f"{name}_checkpoint_names"].tolist()
        if n not in ("dense", "table", "beta1_power", "beta2_power"))
    for t in range(3):
        ids = tf.constant(ref["ids"][t])
        # The sparse gradient of a gather, with a repeated row, as the model's embeddings get.
        sparse = tf.IndexedSlices(tf.constant(ref["row_grads"][t]), ids, tf.constant([5, 2]))
        optimizer.apply([tf.constant(ref["dense_grads"][t]), sparse], tf.constant(0.01),
                        tf.constant(t))
        np.testing.assert_allclose(dense.numpy(), ref[f"{name}_dense_{t}"], rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(table.numpy(), ref[f"{name}_table_{t}"], rtol=1e-5,
                                   atol=1e-6)


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be one of sgd, adagrad, adam"):
        optimizers.make_optimizer("rmsprop", {})


def _batch(model, seed=0):
    rng = np.random.default_rng(seed)
    data = [[], [(list(rng.integers(4, 30, 5)), list(rng.integers(4, 40, 6)))
                 for _ in range(12)]]
    return model.get_batch(data, 1)


def _loss(model, batch, training):
    encoder, decoder, weights = (np.asarray(x) for x in batch)
    _, loss, _ = model._template(encoder, decoder, weights.astype(np.float32),
                                 feed_previous=False, training=training)
    return float(loss)


@pytest.mark.parametrize("output_projection", [False, True])
def test_label_smoothing_matches_its_definition(output_projection):
    outputs = tf.random.stateless_normal([5, 3, 16 if output_projection else 40], [1, 2])
    targets = tf.constant(np.random.default_rng(3).integers(0, 40, (5, 3)), tf.int32)
    weights = tf.constant(np.r_[np.ones((4, 3)), [[1, 0, 0]]], tf.float32)
    projection = None
    if output_projection:
        projection = (tf.random.stateless_normal([40, 16], [3, 4]), tf.zeros([40]))
    logits = outputs if projection is None else tf.einsum(
        "tbs,vs->tbv", outputs, projection[0])
    log_probs = tf.nn.log_softmax(logits).numpy()
    onehot = np.eye(40)[targets.numpy()]
    expected = -((0.9 * onehot + 0.1 / 40) * log_probs).sum(-1)
    got = _sequence_crossent(outputs, targets, projection, 0, 40, tf.float32,
                             label_smoothing=0.1, weights=weights).numpy()
    if output_projection:
        # Steps of weight 0 are not scored at all.
        expected = expected * weights.numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_projection_with_full_softmax_scores_only_weighted_steps():
    model = build_model(HParams(**TINY, num_samples=0, output_projection=True), False)
    assert "proj_w" in model.variables_by_name
    batch = _batch(model)
    encoder, decoder, weights = (np.asarray(x) for x in batch)
    outputs, loss, projection = model._template(encoder, decoder, weights, feed_previous=False)
    # The same loss from the logits of every step, padding included.
    logits = tf.einsum("tbs,vs->tbv", outputs, projection[0]) + projection[1]
    targets = np.concatenate([decoder[1:], np.zeros_like(decoder[:1])])
    crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    expected = seq2seq.stacked_sequence_loss(crossent, weights)
    np.testing.assert_allclose(float(loss), float(expected), rtol=1e-5)


def test_shared_decoder_embeddings_are_the_output_projection():
    hparams = HParams(**TINY, num_samples=0, output_projection=True,
                      share_decoder_embeddings=True)
    model = build_model(hparams, False)
    names = model.variables_by_name
    assert "proj_w" not in names and "proj_b" in names
    embedding = names[DECODER_EMBEDDING]
    batch = _batch(model)
    encoder, decoder, weights = (np.asarray(x) for x in batch)
    outputs, _, projection = model._template(encoder, decoder, weights, feed_previous=False)
    np.testing.assert_array_equal(projection[0], embedding)
    # The projection scores every row, so training moves rows the decoder never reads too.
    unread = sorted(set(range(40)) - set(decoder.ravel().tolist()))
    assert unread, "every row is read: the check below would say nothing"
    before = embedding.numpy()
    model.step(None, *batch, 1, False)
    moved = np.abs(embedding.numpy() - before).max(axis=1) > 0
    assert moved[unread].all()
    unshared = build_model(dataclasses.replace(hparams, share_decoder_embeddings=False), False)
    assert sum(int(np.prod(v.shape)) for v in unshared.params) - sum(
        int(np.prod(v.shape)) for v in model.params) == 40 * 16


def test_shared_decoder_embeddings_need_an_output_projection():
    with pytest.raises(ValueError, match="share_decoder_embeddings .* --output_projection"):
        HParams(**TINY, num_samples=0, share_decoder_embeddings=True).validate()


def test_dropout_and_label_smoothing_apply_in_training_only():
    model = build_model(HParams(**TINY, num_samples=0, output_projection=True, dropout=0.5,
                                label_smoothing=0.1), False)
    batch = _batch(model)
    # Evaluation is deterministic; training draws new dropout masks each time.
    assert _loss(model, batch, training=False) == _loss(model, batch, training=False)
    assert _loss(model, batch, training=True) != _loss(model, batch, training=True)
    plain = build_model(HParams(**TINY, num_samples=0, output_projection=True), False)
    for name, var in plain.variables_by_name.items():
        var.assign(model.variables_by_name[name])
    assert _loss(plain, batch, training=True) == pytest.approx(
        _loss(model, batch, training=False), rel=1e-6)
    encoder = np.asarray(batch[0])
    first = model.search(encoder, 1).tokens
    np.testing.assert_array_equal(first, model.search(encoder, 1).tokens)


def test_fused_stack_runs_simple_dropout_wrappers_only():
    def wrapped(**kwargs):
        return seq2seq.rnn_cell.DropoutWrapper(seq2seq.rnn_cell.GRUCell(4), **kwargs)

    cells = {"simple": wrapped(input_keep_prob=0.5, output_keep_prob=0.8),
             "state": wrapped(state_keep_prob=0.5),
             "seeded": wrapped(input_keep_prob=0.5, seed=3),
             "variational": wrapped(output_keep_prob=0.5, variational_recurrent=True,
                                    dtype=tf.float32)}
    template = seq2seq.Template(
        lambda: {name: cell(tf.zeros([2, 3]), cell.zero_state(2, tf.float32))
                 for name, cell in cells.items()}, name="fused")
    template()
    accepted = {name for name, cell in cells.items()
                if seq2seq.rnn_cell.FusedStack.of(cell) is not None}
    assert accepted == {"simple"}


def test_bidirectional_encoder_directions():
    size, steps = 5, 6

    def encode(ids):
        cell = seq2seq.rnn_cell.GRUCell(size)
        return seq2seq.embedding_attention_encoder(ids, cell, 20, 7, tf.float32,
                                                   bidirectional=True)

    template = seq2seq.Template(encode, name="bi")
    ids = np.random.default_rng(0).integers(1, 20, (steps, 3)).astype(np.int32)
    states, final = template(tf.constant(ids))
    assert states.shape == (3, steps, 2 * size)
    changed = ids.copy()
    changed[0] = (changed[0] % 19) + 1
    other, other_final = template(tf.constant(changed))
    differs = np.abs(states.numpy() - other.numpy()).max(axis=(0, 2)) > 1e-7
    fw = np.abs(states.numpy()[..., :size] - other.numpy()[..., :size]).max(axis=(0, 2)) > 1e-7
    bw = np.abs(states.numpy()[..., size:] - other.numpy()[..., size:]).max(axis=(0, 2)) > 1e-7
    # Position 0 is read first forwards (every forward state sees it) and last backwards
    # (only the backward state at position 0 sees it).
    assert fw.all() and differs.all()
    assert bw.tolist() == [True] + [False] * (steps - 1)
    assert not np.allclose(final.numpy(), other_final.numpy())
    names = set(template.variables_by_name)
    assert {"bidirectional_rnn/embedding", "bidirectional_rnn/fw/gru_cell/gates/kernel",
            "bidirectional_rnn/bw/gru_cell/gates/kernel"} <= names


def test_modern_model_trains_and_decodes_consistently():
    hp = HParams(**TINY, num_samples=0, output_projection=True, optimizer="adam",
                 dropout=0.1, label_smoothing=0.1, bidirectional_encoder=True,
                 learning_rate_schedule="constant")
    model = build_model(hp, False)
    batch = _batch(model)
    losses = [float(model.step(None, *batch, 1, False)[1]) for _ in range(25)]
    assert losses[-1] < losses[0]
    assert int(model.global_step.numpy()) == 25
    assert any(name.endswith("/Adam_1") for name in model.variables_by_name)
    encoder = np.asarray(batch[0])
    greedy = model.search(encoder, 1)
    # Teacher-forcing the greedy output reproduces its choices (the same graph's numbers).
    decoder = np.concatenate([np.ones((1, encoder.shape[1]), np.int32),
                              greedy.tokens[:, 0].T[:-1]])
    logits, weights = model.alignment(encoder, decoder)
    np.testing.assert_array_equal(logits.argmax(-1).T, greedy.tokens[:, 0])
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_recipe_fills_only_flags_not_given():
    values = flags.FlagValues()
    flags.DEFINE_integer("size", 1024, "", flag_values=values)
    flags.DEFINE_string("optimizer", "sgd", "", flag_values=values)
    values(["prog", "--size=512"])
    partial = {"size": 256, "optimizer": "adam"}
    original = dict(recipes.RECIPES)
    try:
        recipes.RECIPES["partial"] = partial
        applied = recipes.apply_recipe("partial", values)
    finally:
        recipes.RECIPES.clear()
        recipes.RECIPES.update(original)
    assert applied == {"optimizer": "adam"}
    assert values.size == 512 and values.optimizer == "adam"
    with pytest.raises(ValueError, match="unknown recipe 'fancy'"):
        recipes.apply_recipe("fancy", values)
    with pytest.raises(ValueError, match="does not define"):
        recipes.apply_recipe("modern", values)
