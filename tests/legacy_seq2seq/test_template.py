"""legacy_seq2seq.Template: TF 1.x-named variables owned by a tf.Module in TF 2."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from numerics import assert_close

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

BATCH = 2
SCOPE = "embedding_attention_seq2seq"


def ids(batch: int, length: int) -> list:
    return [tf.constant(np.arange(batch) % 5 + t % 3, tf.int32) for t in range(length)]


def model(encoder_inputs, decoder_inputs):
    """A small attention seq2seq whose fn also makes a variable of its own (``scale``)."""
    scale = tf.compat.v1.get_variable("scale", [], initializer=tf.compat.v1.ones_initializer())
    outputs, _ = seq2seq.embedding_attention_seq2seq(
        encoder_inputs, decoder_inputs, rnn_cell.GRUCell(4), 6, 7, 3
    )
    return [scale * o for o in outputs]


def built_template(name: str = "template") -> tuple:
    template = seq2seq.Template(model, name=name)
    outputs = template(ids(BATCH, 3), ids(BATCH, 2))
    return template, outputs


def stacked(outputs) -> np.ndarray:
    return np.stack([o.numpy() for o in outputs])


def test_second_call_and_tf_function_retrace_create_no_variables():
    template, first = built_template()
    variables = {id(v) for v in template.variables}
    assert len(variables) == len(template.variables_by_name) > 0
    assert_close(stacked(template(ids(BATCH, 3), ids(BATCH, 2))), stacked(first))
    step = tf.function(template)
    assert_close(stacked(step(ids(BATCH, 3), ids(BATCH, 2))), stacked(first))
    retraced = step(ids(BATCH + 1, 3), ids(BATCH + 1, 2))  # new batch size: a retrace
    assert step.experimental_get_tracing_count() == 2
    assert tuple(retraced[0].shape) == (BATCH + 1, 7)
    assert {id(v) for v in template.variables} == variables


def test_first_call_inside_tf_function_creates_the_variables_once():
    template = seq2seq.Template(model)
    step = tf.function(template)
    step(ids(BATCH, 3), ids(BATCH, 2))
    names = sorted(template.variables_by_name)
    assert names
    step(ids(BATCH + 1, 3), ids(BATCH + 1, 2))
    assert sorted(template.variables_by_name) == names


def test_variable_names_are_the_tf1_names_without_prefix():
    template, _ = built_template(name="my_model")
    by_name = template.variables_by_name
    for name, variable in by_name.items():
        assert variable.name == name + ":0"
        assert not name.startswith("my_model")
    assert f"{SCOPE}/rnn/embedding_wrapper/gru_cell/gates/kernel" in by_name
    assert f"{SCOPE}/embedding_attention_decoder/attention_decoder/AttnV_0" in by_name


def test_owns_the_variables_fn_makes_itself():
    template, outputs = built_template()
    scale = template.variables_by_name["scale"]
    assert any(v is scale for v in template.trainable_variables)
    scale.assign(2.0)  # the next call must use this very variable
    assert_close(stacked(template(ids(BATCH, 3), ids(BATCH, 2))), 2 * stacked(outputs))


def test_tf_train_checkpoint_round_trip(tmp_path):
    template, outputs = built_template()
    path = tf.train.Checkpoint(model=template).write(str(tmp_path / "ckpt"))
    for variable in template.variables:
        variable.assign(tf.zeros_like(variable))
    tf.train.Checkpoint(model=template).read(path).assert_consumed()
    assert_close(stacked(template(ids(BATCH, 3), ids(BATCH, 2))), stacked(outputs))


def test_gradient_tape_reaches_every_variable():
    template, _ = built_template()
    with tf.GradientTape() as tape:
        loss = tf.add_n([tf.reduce_sum(o * o) for o in template(ids(BATCH, 3), ids(BATCH, 2))])
    grads = tape.gradient(loss, template.trainable_variables)
    assert len(grads) == len(template.variables_by_name)
    names = [v.name for v in template.trainable_variables]
    missing = [n for n, g in zip(names, grads) if g is None]
    assert not missing
    assert all(np.any(tf.convert_to_tensor(g).numpy() != 0) for g in grads)


def write_tf1_checkpoint(path: str, arrays: dict) -> str:
    """Write ``{name: array}`` as a TF 1.x name-keyed checkpoint with a graph-mode Saver."""
    with tf.Graph().as_default():
        variables = [
            tf.compat.v1.get_variable(name, initializer=tf.constant(value))
            for name, value in arrays.items()
        ]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver(variables).save(session, path)


def test_load_tf1_checkpoint_assigns_by_name(tmp_path):
    template, _ = built_template()
    rng = np.random.RandomState(0)
    arrays = {
        name: rng.uniform(-1, 1, v.shape).astype(np.float32)
        for name, v in template.variables_by_name.items()
    }
    prefix = write_tf1_checkpoint(str(tmp_path / "model.ckpt"), arrays)
    loaded = template.load_tf1_checkpoint(prefix)
    assert sorted(loaded) == sorted(arrays)
    for name, variable in template.variables_by_name.items():
        np.testing.assert_array_equal(variable.numpy(), arrays[name])
    # A directory with a `checkpoint` state file resolves to its latest checkpoint.
    for variable in template.variables:
        variable.assign(tf.zeros_like(variable))
    template.load_tf1_checkpoint(str(tmp_path))
    for name, variable in template.variables_by_name.items():
        np.testing.assert_array_equal(variable.numpy(), arrays[name])


def test_load_tf1_checkpoint_lists_every_mismatch_in_one_error(tmp_path):
    template, _ = built_template()
    names = sorted(template.variables_by_name)
    missing, reshaped = names[0], names[1]
    arrays = {
        name: np.zeros(template.variables_by_name[name].shape, np.float32) for name in names[2:]
    }
    arrays[reshaped] = np.zeros([11, 13], np.float32)
    arrays["unexpected/extra"] = np.zeros([3], np.float32)
    prefix = write_tf1_checkpoint(str(tmp_path / "model.ckpt"), arrays)
    with pytest.raises(ValueError) as error:
        template.load_tf1_checkpoint(prefix)
    message = str(error.value)
    for expected in (missing, reshaped, "unexpected/extra", "[11, 13]", "missing", "shape"):
        assert expected in message

    del arrays[reshaped]
    prefix = write_tf1_checkpoint(str(tmp_path / "partial.ckpt"), arrays)
    with pytest.raises(ValueError, match="unexpected/extra"):
        template.load_tf1_checkpoint(prefix, allow_missing=True)
    loaded = template.load_tf1_checkpoint(prefix, allow_missing=True, allow_unexpected=True)
    assert sorted(loaded) == names[2:]


def test_load_tf1_checkpoint_of_a_missing_path_raises(tmp_path):
    template, _ = built_template()
    with pytest.raises(ValueError, match="nowhere"):
        template.load_tf1_checkpoint(str(tmp_path / "nowhere"))


def test_variable_creating_call_outside_a_template_raises_runtime_error():
    # A cell called eagerly owns its variables (as tf.compat.v1.nn.rnn_cell cells did in
    # TF 2.0-2.15); a function making variables of its own (the decoder's embedding) must not.
    with pytest.raises(RuntimeError, match="Template"):
        seq2seq.embedding_rnn_seq2seq(
            [tf.ones([BATCH], tf.int32)], [tf.ones([BATCH], tf.int32)], rnn_cell.GRUCell(2),
            num_encoder_symbols=4, num_decoder_symbols=4, embedding_size=2
        )


def test_bind_runs_another_function_on_the_same_variables():
    def model(x):
        return tf.matmul(x, tf.compat.v1.get_variable("w", [3, 2]))

    def doubled(x):
        return 2.0 * model(x)

    template = seq2seq.Template(model)
    x = tf.ones([1, 3])
    first = template(x)
    bound = template.bind(doubled)
    assert_close(bound(x).numpy(), 2.0 * first.numpy())
    assert [v.name for v in bound.variables] == ["w:0"]
    assert bound.variables[0] is template.variables[0]
