"""Beam search and the while-loop greedy decode of `embedding_attention_seq2seq` models.

The reference greedy decode is the original's: the model run with `feed_previous=True`
over the bucket's decoder length, the argmax of every output, cut at the first EOS.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

GO, EOS, PAD = 1, 2, 0
ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING = 9, 12, 6
ENCODER_LENGTH, DECODER_LENGTH, BATCH = 5, 8, 32
OUTPUT_BIAS = "embedding_attention_seq2seq/embedding_attention_decoder/attention_decoder/" \
    "AttnOutputProjection/bias"

# eos_bonus: added to the EOS logit's bias of the random models, so that about a quarter
# of the greedy decodes end before the length limit.
CONFIGS = {
    "gru": dict(cell=lambda: rnn_cell.GRUCell(16), projection=False, num_heads=1,
                eos_bonus=20.0),
    "lstm2_projection_2heads": dict(
        cell=lambda: rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(12) for _ in range(2)]),
        projection=True, num_heads=2, eos_bonus=12.0),
    "gru_initial_state_attention": dict(
        cell=lambda: rnn_cell.GRUCell(16), projection=False, num_heads=1,
        initial_state_attention=True, eos_bonus=20.0),
}


def model(config: dict, attention_score: str = "additive"):
    """A Template fn: `fn(enc, decoder_inputs=...)` runs the original model
    (`feed_previous=True`, logits per step); `fn(enc, beam_size=K, ...)` beam-searches it."""

    def fn(encoder_inputs, decoder_inputs=None, beam_size=None, alpha=0.0, feed_previous=True):
        projection = None
        if config["projection"]:
            proj_w = tf.compat.v1.get_variable("proj_w", [DECODER_SYMBOLS, 12])
            proj_b = tf.compat.v1.get_variable("proj_b", [DECODER_SYMBOLS])
            projection = (tf.transpose(proj_w), proj_b)
        options = dict(num_heads=config["num_heads"], output_projection=projection,
                       initial_state_attention=config.get("initial_state_attention", False))
        if beam_size is not None:
            return seq2seq.embedding_attention_beam_search(
                encoder_inputs, config["cell"](), ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING,
                beam_size=beam_size, max_length=DECODER_LENGTH, length_penalty_alpha=alpha,
                attention_score=attention_score, **options)
        outputs = original_model(encoder_inputs, decoder_inputs, config["cell"](),
                                 feed_previous, attention_score, options)
        if projection is not None:
            outputs = [tf.matmul(o, projection[0]) + projection[1] for o in outputs]
        return tf.stack(outputs, 1)

    return fn


def original_model(encoder_inputs, decoder_inputs, cell, feed_previous, attention_score,
                   options):
    """`embedding_attention_seq2seq`, or for another attention score the same model
    assembled from its halves (the builder itself has no `attention_score`)."""
    if attention_score == "additive":
        return seq2seq.embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, cell, ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING,
            feed_previous=feed_previous, **options)[0]
    with tf.compat.v1.variable_scope("embedding_attention_seq2seq"):
        states, encoder_state = seq2seq.embedding_attention_encoder(
            encoder_inputs, cell, ENCODER_SYMBOLS, EMBEDDING, tf.float32)
        return seq2seq.embedding_attention_decoder(
            decoder_inputs, encoder_state, states, rnn_cell.OutputProjectionWrapper(
                cell, DECODER_SYMBOLS), DECODER_SYMBOLS, EMBEDDING,
            output_size=DECODER_SYMBOLS, feed_previous=feed_previous,
            attention_score=attention_score, **options)[0]


def columns(ids: np.ndarray) -> list[tf.Tensor]:
    """`[batch, time]` ids -> the library's list of `[batch]` tensors."""
    return [tf.constant(ids[:, j], tf.int32) for j in range(ids.shape[1])]


def random_model(config: dict, attention_score: str = "additive", seed: int = 1):
    """A built Template with seeded uniform(-2, 2) weights (varied outputs), and inputs."""
    template = seq2seq.Template(model(config, attention_score))
    encoder = np.random.RandomState(seed).randint(0, ENCODER_SYMBOLS, [BATCH, ENCODER_LENGTH])
    go = np.full([BATCH, DECODER_LENGTH], GO)
    template(columns(encoder), columns(go))
    values = random_weights(template.variables_by_name, config, seed + 1)
    for name, variable in template.variables_by_name.items():
        variable.assign(values[name])
    return template, encoder


def random_weights(variables: dict, config: dict, seed: int) -> dict[str, np.ndarray]:
    """Seeded uniform(-2, 2) values (varied outputs) for `{name: variable}`, by name."""
    rng = np.random.RandomState(seed)
    values = {name: rng.uniform(-2, 2, variables[name].shape).astype(np.float32)
              for name in sorted(variables)}
    values["proj_b" if config["projection"] else OUTPUT_BIAS][EOS] += config["eos_bonus"]
    return values


def cut_at_eos(row) -> list[int]:
    row = list(row)
    return row[:row.index(EOS)] if EOS in row else row


def original_greedy(template, encoder: np.ndarray) -> list[list[int]]:
    logits = template(columns(encoder), columns(np.full([BATCH, DECODER_LENGTH], GO)))
    return [cut_at_eos(row) for row in np.argmax(logits.numpy(), -1)]


def hypotheses(result) -> list[list[list[int]]]:
    tokens, lengths = result.tokens.numpy(), result.lengths.numpy()
    return [[list(tokens[b, k, :lengths[b, k]]) for k in range(tokens.shape[1])]
            for b in range(tokens.shape[0])]


def teacher_forced_log_probs(template, encoder: np.ndarray, hyps: list[list[int]]) -> np.ndarray:
    """The model's log-probability of each hypothesis (EOS included when it fits)."""
    targets = np.full([len(hyps), DECODER_LENGTH], PAD)
    weights = np.zeros([len(hyps), DECODER_LENGTH], np.float32)
    for i, hyp in enumerate(hyps):
        seq = (hyp + [EOS])[:DECODER_LENGTH]
        targets[i, :len(seq)] = seq
        weights[i, :len(seq)] = 1
    decoder_inputs = np.concatenate([np.full([len(hyps), 1], GO), targets[:, :-1]], 1)
    logits = template(columns(encoder), columns(decoder_inputs), feed_previous=False)
    log_probs = tf.nn.log_softmax(logits).numpy()
    picked = np.take_along_axis(log_probs, targets[:, :, None], -1)[:, :, 0]
    return np.sum(picked * weights, 1)


@pytest.mark.parametrize("use_function", [False, True], ids=["eager", "function"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_beam_size_1_is_the_original_greedy_decode(name: str, use_function: bool):
    template, encoder = random_model(CONFIGS[name])
    reference = original_greedy(template, encoder)
    # The check means something only if the decodes differ and some end early.
    assert len({tuple(r) for r in reference}) > BATCH // 2
    assert BATCH // 8 < sum(len(r) < DECODER_LENGTH for r in reference) < BATCH // 2

    count = len(template.variables)
    search = tf.function(template) if use_function else template
    result = search(columns(encoder), beam_size=1)
    assert len(template.variables) == count, "the search made variables of its own"
    assert result.tokens.shape == (BATCH, 1, DECODER_LENGTH)
    assert [h[0] for h in hypotheses(result)] == reference


@pytest.mark.parametrize("beam_size", [1, 3])
def test_a_transposed_projection_decodes_as_the_transposed_pair(beam_size: int):
    config = CONFIGS["lstm2_projection_2heads"]
    template, encoder = random_model(config)
    proj_w, proj_b = (template.variables_by_name[name] for name in ("proj_w", "proj_b"))

    def search(projection):
        return seq2seq.embedding_attention_beam_search(
            columns(encoder), config["cell"](), ENCODER_SYMBOLS, DECODER_SYMBOLS, EMBEDDING,
            beam_size=beam_size, max_length=DECODER_LENGTH, num_heads=config["num_heads"],
            output_projection=projection)

    pair = template.bind(lambda: search((tf.transpose(proj_w), proj_b)))()
    rows = template.bind(lambda: search(seq2seq.TransposedProjection(proj_w, proj_b)))()
    assert hypotheses(rows) == hypotheses(pair)
    np.testing.assert_allclose(rows.log_probs, pair.log_probs, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"TransposedProjection.rows must have shape "
                                         r"\[num_symbols, output_size\] = \[12, 12\]"):
        template.bind(lambda: search(seq2seq.TransposedProjection(proj_w[:, :5], proj_b)))()


def test_greedy_decode_is_beam_size_1_without_the_beam_axis():
    config = CONFIGS["gru"]

    def fn(encoder_inputs, greedy):
        decode = (seq2seq.embedding_attention_greedy_decode if greedy else
                  lambda *a, **k: seq2seq.embedding_attention_beam_search(*a, beam_size=1, **k))
        return decode(encoder_inputs, config["cell"](), ENCODER_SYMBOLS, DECODER_SYMBOLS,
                      EMBEDDING, max_length=DECODER_LENGTH)

    template = seq2seq.Template(fn)
    encoder = columns(np.random.RandomState(3).randint(0, ENCODER_SYMBOLS, [4, ENCODER_LENGTH]))
    greedy = template(encoder, True)
    beam = template(encoder, False)
    assert greedy.tokens.shape == (4, DECODER_LENGTH) and greedy.lengths.shape == (4,)
    for got, want in zip(greedy, beam):
        np.testing.assert_array_equal(got.numpy(), want.numpy()[:, 0])


@pytest.mark.parametrize("name", ["gru", "lstm2_projection_2heads"])
def test_every_hypothesis_log_prob_is_the_model_log_probability(name: str):
    template, encoder = random_model(CONFIGS[name], seed=5)
    result = template(columns(encoder), beam_size=3)
    log_probs = result.log_probs.numpy()
    assert np.all(np.diff(log_probs, axis=1) <= 0), "the n-best list is not sorted"
    hyps = hypotheses(result)
    for k in range(3):
        expected = teacher_forced_log_probs(template, encoder, [h[k] for h in hyps])
        np.testing.assert_allclose(log_probs[:, k], expected, rtol=1e-5, atol=1e-4)
    # Distinct hypotheses per sentence: the beams do not collapse onto one path.
    assert all(len({tuple(h) for h in sentence}) == 3 for sentence in hyps)


def test_length_penalty_scores_and_order():
    template, encoder = random_model(CONFIGS["gru"], seed=7)
    alpha = 0.8
    result = template(columns(encoder), beam_size=4, alpha=alpha)
    ended = np.array([[len(h) < DECODER_LENGTH for h in s] for s in hypotheses(result)])
    counted = result.lengths.numpy() + ended  # EOS counts in the penalty
    penalty = ((5.0 + counted) / 6.0) ** alpha
    np.testing.assert_allclose(result.scores.numpy(), result.log_probs.numpy() / penalty,
                               rtol=1e-6)
    assert np.all(np.diff(result.scores.numpy(), axis=1) <= 0)
    plain = template(columns(encoder), beam_size=4)
    np.testing.assert_array_equal(plain.scores.numpy(), plain.log_probs.numpy())
    # The penalty favours longer hypotheses: the best ones are on average no shorter.
    assert result.lengths.numpy()[:, 0].mean() >= plain.lengths.numpy()[:, 0].mean()


def test_attention_score_keyword_reaches_the_search():
    template, encoder = random_model(CONFIGS["gru"], attention_score="luong_general")
    assert any("LuongGeneral_0/kernel" in n for n in template.variables_by_name)
    result = template(columns(encoder), beam_size=1)
    assert [h[0] for h in hypotheses(result)] == original_greedy(template, encoder)


def toy_batch(rng: np.random.RandomState, size: int) -> tuple:
    """An ambiguous toy translation: the source reversed, each symbol becoming one of two
    symbols at random, a quarter of them dropped, then EOS. Returns time-major lists."""
    source = np.full([size, ENCODER_LENGTH], PAD)
    target = np.full([size, DECODER_LENGTH], PAD)
    weights = np.zeros([size, DECODER_LENGTH], np.float32)
    for i in range(size):
        tokens = rng.randint(3, ENCODER_SYMBOLS, rng.randint(2, ENCODER_LENGTH + 1))
        source[i, :len(tokens)] = tokens
        out = [(t - 3 + rng.randint(0, 2)) % 9 + 3 for t in tokens[::-1] if rng.rand() < 0.75]
        target[i, :len(out) + 1] = out + [EOS]
        weights[i, :len(out) + 1] = 1
    decoder_inputs = np.concatenate([np.full([size, 1], GO), target[:, :-1]], 1)
    return (columns(source), columns(decoder_inputs), columns(target),
            [tf.constant(weights[:, j]) for j in range(DECODER_LENGTH)])


@pytest.mark.slow
def test_beam_4_finds_at_least_the_greedy_log_prob_on_a_trained_model():
    tf.random.set_seed(0)
    rng = np.random.RandomState(0)
    template = seq2seq.Template(model(CONFIGS["gru"]))
    source, decoder_inputs, _, _ = toy_batch(rng, 32)
    template(source, decoder_inputs, feed_previous=False)
    optimizer = tf.keras.optimizers.Adam(0.01)

    @tf.function
    def train_step(source, decoder_inputs, targets, weights):
        with tf.GradientTape() as tape:
            logits = tf.unstack(template(source, decoder_inputs, feed_previous=False), axis=1)
            loss = seq2seq.sequence_loss(logits, targets, weights)
        variables = template.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    losses = [float(train_step(*toy_batch(rng, 32))) for _ in range(300)]
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:20]), "the toy model did not learn"

    source = toy_batch(rng, 128)[0]
    search = tf.function(lambda s, k: template(s, beam_size=k), autograph=False)
    greedy = search(source, 1).log_probs.numpy()[:, 0]
    beam = search(source, 4).log_probs.numpy()[:, 0]
    worse = np.flatnonzero(beam < greedy - 1e-5)
    assert worse.size == 0, f"beam 4 below greedy on sentences {worse}"
    assert np.sum(beam > greedy + 1e-5) > 0, "beam 4 never improved on greedy here"


@pytest.mark.slow
def test_graph_mode_builds_fresh_or_reuses_the_training_model(tmp_path):
    config = CONFIGS["lstm2_projection_2heads"]
    template, encoder = random_model(config, seed=9)
    expected = template(columns(encoder), beam_size=3)
    arrays = {n: v.numpy() for n, v in template.variables_by_name.items()}
    fn = model(config)
    with tf.Graph().as_default():  # training graph, then the search under reuse=True
        placeholders = [tf.compat.v1.placeholder(tf.int32, [None]) for _ in range(ENCODER_LENGTH)]
        fn(placeholders, placeholders[:1] * DECODER_LENGTH, feed_previous=False)
        names = {v.op.name for v in tf.compat.v1.global_variables()}
        assert names == set(arrays)
        with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(), reuse=True):
            search = fn(placeholders, beam_size=3)
        assert {v.op.name for v in tf.compat.v1.global_variables()} == names
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as session:
            for variable in tf.compat.v1.global_variables():
                variable.load(arrays[variable.op.name], session)
            prefix = saver.save(session, str(tmp_path / "model.ckpt"))
            feed = dict(zip(placeholders, encoder.T))
            got = session.run(search, feed)
    with tf.Graph().as_default():  # a decode-only graph: the search makes the variables
        placeholders = [tf.compat.v1.placeholder(tf.int32, [None]) for _ in range(ENCODER_LENGTH)]
        search = fn(placeholders, beam_size=3)
        assert {v.op.name for v in tf.compat.v1.global_variables()} == names
        with tf.compat.v1.Session() as session:
            tf.compat.v1.train.Saver().restore(session, prefix)
            fresh = session.run(search, dict(zip(placeholders, encoder.T)))
    for ours in (got, fresh):
        np.testing.assert_array_equal(ours.tokens, expected.tokens.numpy())
        np.testing.assert_allclose(ours.log_probs, expected.log_probs.numpy(), rtol=1e-5)


@pytest.mark.parametrize("beam_size, max_length, message", [
    (0, 5, "beam_size"), (DECODER_SYMBOLS + 1, 5, "beam_size"), (2, 0, "max_length")])
def test_bad_arguments_are_named(beam_size: int, max_length: int, message: str):
    with tf.Graph().as_default():
        encoder = [tf.zeros([2], tf.int32)] * 3
        with pytest.raises(ValueError, match=message):
            seq2seq.embedding_attention_beam_search(
                encoder, rnn_cell.GRUCell(4), 5, DECODER_SYMBOLS, 3, beam_size=beam_size,
                max_length=max_length)


V1_BEHAVIOR_SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()  # TF 1.x control flow: a v1 while_loop
sys.path[:0] = [{here!r}]
import test_beam_search as t

config = t.CONFIGS["lstm2_projection_2heads"]
encoder = np.random.RandomState(11).randint(0, t.ENCODER_SYMBOLS, [t.BATCH, t.ENCODER_LENGTH])
fn = t.model(config)
enc = [tf.compat.v1.placeholder(tf.int32, [t.BATCH]) for _ in range(t.ENCODER_LENGTH)]
logits = fn(enc, [tf.fill([t.BATCH], t.GO)] * t.DECODER_LENGTH)
with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(), reuse=True):
    greedy, beam = fn(enc, beam_size=1), fn(enc, beam_size=3)
variables = {{v.op.name: v for v in tf.compat.v1.global_variables()}}
values = t.random_weights(variables, config, 12)
with tf.compat.v1.Session() as session:
    for name, variable in variables.items():
        variable.load(values[name], session)
    feed = dict(zip(enc, encoder.T))
    logits, greedy, beam = session.run([logits, greedy, beam], feed)
reference = [t.cut_at_eos(row) for row in np.argmax(logits, -1)]
assert 0 < sum(len(r) < t.DECODER_LENGTH for r in reference) < t.BATCH
assert [list(r[0][:n[0]]) for r, n in zip(greedy.tokens, greedy.lengths)] == reference
assert np.all(np.diff(beam.log_probs, axis=1) <= 0)
assert np.all(beam.log_probs[:, 0] >= greedy.log_probs[:, 0] - 1e-5)
print("ok", len(reference))
"""


@pytest.mark.slow
def test_under_disable_v2_behavior():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-c", V1_BEHAVIOR_SCRIPT.format(here=here)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"ok {BATCH}" in proc.stdout
