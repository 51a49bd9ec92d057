"""Make the TF 1.0-era checkpoint cases and variable-name listings (run under old TF 1.x).

Python 3.6 and TensorFlow 1.0.1 (also runs under 1.1, 1.2, 1.3 and 1.15 for --names):

    $(pyenv root)/versions/3.6.15/bin/python -m venv ~/tf10
    ~/tf10/bin/pip install 'pip<22' 'wheel<0.38'
    ~/tf10/bin/pip install 'numpy<1.17' 'protobuf<3.20' six
    ~/tf10/bin/pip install --no-deps tensorflow==1.0.1
    ~/tf10/bin/python tools/oracle_tf1/make_tf10_checkpoints.py \\
        --out tests/legacy_seq2seq/golden_eras

Two outputs:

* cases: for each configuration below, an `embedding_attention_seq2seq` model built by
  the TF 1.0.1 `tf.contrib.legacy_seq2seq`, its variables set to seeded uniform values,
  saved with a plain `Saver` as `<out>/<case>/model.ckpt` (TF 1.0 names), plus
  `io.npz` (inputs; decoder outputs and final state with teacher forcing; outputs with
  `feed_previous=True`) and `case.json` (configuration, variable names).
* `--names FILE`: adds to the JSON file FILE, under the running TF version, the
  variable names and shapes of every `legacy_seq2seq` builder (small sizes). Run it
  with several TF versions to compare their naming (TF 1.2.1 needs
  `backports.weakref` and `werkzeug<1` installed with --no-deps).
"""

import argparse
import json
import os

import numpy as np
import tensorflow as tf
from tensorflow.contrib import legacy_seq2seq as s2s
from tensorflow.contrib import rnn

ENCODER_SYMBOLS = 7
DECODER_SYMBOLS = 8
EMBEDDING_SIZE = 4
NUM_UNITS = 6
BATCH = 3
ENCODER_LENGTH = 4
DECODER_LENGTH = 3

CASES = [
    {"name": "gru_1layer", "cell": "GRUCell", "num_layers": 1, "cell_kwargs": {},
     "output_projection": False, "num_heads": 1},
    {"name": "gru_2layers_proj", "cell": "GRUCell", "num_layers": 2, "cell_kwargs": {},
     "output_projection": True, "num_heads": 2},
    {"name": "lstm_1layer_proj", "cell": "BasicLSTMCell", "num_layers": 1, "cell_kwargs": {},
     "output_projection": True, "num_heads": 1},
    {"name": "lstm_2layers", "cell": "BasicLSTMCell", "num_layers": 2, "cell_kwargs": {},
     "output_projection": False, "num_heads": 1},
    {"name": "lstmcell_peepholes_numproj", "cell": "LSTMCell", "num_layers": 1,
     "cell_kwargs": {"use_peepholes": True, "num_proj": 5}, "output_projection": False,
     "num_heads": 1},
]


def make_cell(case):
    def one():
        return getattr(rnn, case["cell"])(NUM_UNITS, **case["cell_kwargs"])
    if case["num_layers"] == 1:
        return one()
    return rnn.MultiRNNCell([one() for _ in range(case["num_layers"])])


def cell_output_size(case):
    return case["cell_kwargs"].get("num_proj", NUM_UNITS)


def build_model(case, encoder_inputs, decoder_inputs, feed_previous):
    """The model of the translate demo, with the projection made at the root scope."""
    projection = None
    if case["output_projection"]:
        proj_w = tf.get_variable("proj_w", [DECODER_SYMBOLS, cell_output_size(case)])
        proj_b = tf.get_variable("proj_b", [DECODER_SYMBOLS])
        projection = (tf.transpose(proj_w), proj_b)
    outputs, state = s2s.embedding_attention_seq2seq(
        encoder_inputs, decoder_inputs, make_cell(case), ENCODER_SYMBOLS, DECODER_SYMBOLS,
        EMBEDDING_SIZE, num_heads=case["num_heads"], output_projection=projection,
        feed_previous=feed_previous)
    if projection is not None:
        outputs = [tf.matmul(o, projection[0]) + projection[1] for o in outputs]
    return outputs, state


def flat_state(state):
    if isinstance(state, (tuple, list)):
        return [t for s in state for t in flat_state(s)]
    return [state]


def make_case(case, out_dir, seed):
    rng = np.random.RandomState(seed)
    encoder_ids = rng.randint(0, ENCODER_SYMBOLS, [ENCODER_LENGTH, BATCH]).astype(np.int32)
    decoder_ids = rng.randint(0, DECODER_SYMBOLS, [DECODER_LENGTH, BATCH]).astype(np.int32)
    with tf.Graph().as_default():
        enc = [tf.constant(x) for x in encoder_ids]
        dec = [tf.constant(x) for x in decoder_ids]
        outputs, state = build_model(case, enc, dec, feed_previous=False)
        with tf.variable_scope(tf.get_variable_scope(), reuse=True):
            greedy, _ = build_model(case, enc, dec, feed_previous=True)
        variables = tf.global_variables()
        with tf.Session() as session:
            for v in variables:
                shape = v.get_shape().as_list()
                session.run(v.assign(rng.uniform(-1, 1, shape).astype(np.float32)))
            values = session.run({"outputs": outputs, "state": flat_state(state),
                                  "outputs_feed_previous": greedy})
            case_dir = os.path.join(out_dir, case["name"])
            if not os.path.isdir(case_dir):
                os.makedirs(case_dir)
            tf.train.Saver(variables).save(
                session, os.path.join(case_dir, "model.ckpt"), write_meta_graph=False)
    # The Saver's state file names absolute paths; the tests load the prefix directly.
    os.remove(os.path.join(case_dir, "checkpoint"))
    logits = np.stack(values["outputs_feed_previous"])
    top2 = np.sort(logits, axis=-1)[..., -2:]
    arrays = {"encoder_inputs": encoder_ids, "decoder_inputs": decoder_ids,
              "outputs": np.stack(values["outputs"]),
              "outputs_feed_previous": logits}
    for i, s in enumerate(values["state"]):
        arrays["state_%d" % i] = s
    np.savez(os.path.join(case_dir, "io.npz"), **arrays)
    meta = dict(case)
    meta.update({
        "tensorflow_version": tf.__version__, "seed": seed,
        "encoder_symbols": ENCODER_SYMBOLS, "decoder_symbols": DECODER_SYMBOLS,
        "embedding_size": EMBEDDING_SIZE, "num_units": NUM_UNITS, "batch_size": BATCH,
        "encoder_length": ENCODER_LENGTH, "decoder_length": DECODER_LENGTH,
        "argmax_min_margin": float(np.min(top2[..., 1] - top2[..., 0])),
        "variables": sorted(v.op.name for v in variables),
        "checkpoint": "model.ckpt",
    })
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    return meta


def placeholders(count, shape, dtype=tf.int32):
    return [tf.placeholder(dtype, shape) for _ in range(count)]


def builders():
    """Every legacy_seq2seq builder, tiny, keyed by a short name."""
    def ea(make):
        return lambda: s2s.embedding_attention_seq2seq(
            placeholders(3, [2]), placeholders(2, [2]), make(), 6, 7, 3, num_heads=2)
    floats = [2, 3]
    return {
        "ea_basic_rnn": ea(lambda: rnn.BasicRNNCell(4)),
        "ea_lstm_peepholes_proj": ea(
            lambda: rnn.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=1.0)),
        "ea_lstm": ea(lambda: rnn.LSTMCell(4)),
        "ea_input_projection_gru": ea(lambda: rnn.InputProjectionWrapper(rnn.GRUCell(4), 5)),
        "ea_multi_gru": ea(lambda: rnn.MultiRNNCell([rnn.GRUCell(4), rnn.GRUCell(4)])),
        "basic_rnn_seq2seq": lambda: s2s.basic_rnn_seq2seq(
            placeholders(2, floats, tf.float32), placeholders(2, floats, tf.float32),
            rnn.GRUCell(4)),
        "tied_rnn_seq2seq": lambda: s2s.tied_rnn_seq2seq(
            placeholders(2, floats, tf.float32), placeholders(2, floats, tf.float32),
            rnn.GRUCell(4)),
        "embedding_rnn_seq2seq": lambda: s2s.embedding_rnn_seq2seq(
            placeholders(2, [2]), placeholders(2, [2]), rnn.BasicLSTMCell(4), 6, 7, 3),
        "embedding_tied_rnn_seq2seq": lambda: s2s.embedding_tied_rnn_seq2seq(
            placeholders(2, [2]), placeholders(2, [2]), rnn.GRUCell(4), 6, 3),
        "one2many_rnn_seq2seq": lambda: s2s.one2many_rnn_seq2seq(
            placeholders(2, [2]), {"a": placeholders(2, [2]), "b": placeholders(2, [2])},
            rnn.GRUCell(4), {"a": rnn.GRUCell(4), "b": rnn.GRUCell(4)}, 6, {"a": 5, "b": 7}, 3),
        "attention_decoder": lambda: s2s.attention_decoder(
            placeholders(2, floats, tf.float32), tf.zeros([2, 4]), tf.zeros([2, 3, 4]),
            rnn.GRUCell(4), output_size=5),
        "model_with_buckets": lambda: s2s.model_with_buckets(
            placeholders(4, [2]), placeholders(3, [2]), placeholders(3, [2]),
            placeholders(3, [2], tf.float32), [(2, 2), (4, 3)],
            lambda x, y: s2s.embedding_attention_seq2seq(x, y, rnn.GRUCell(4), 6, 7, 3)),
    }


def dump_names(path):
    """Adds {tf version: {builder: {name: shape}}} to the JSON file `path`."""
    listing = {}
    for name, build in sorted(builders().items()):
        with tf.Graph().as_default():
            try:
                build()
            except (TypeError, ValueError) as error:  # some builders fail on some versions
                listing[name] = {"error": "%s: %s" % (type(error).__name__, str(error)[:120])}
                continue
            listing[name] = {v.op.name: v.get_shape().as_list() for v in tf.global_variables()}
    everything = {}
    if os.path.exists(path):
        with open(path) as f:
            everything = json.load(f)
    everything[tf.__version__] = listing
    with open(path + ".tmp", "w") as f:
        json.dump(everything, f, indent=0, sort_keys=True)
    os.rename(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="directory for the checkpoint cases")
    parser.add_argument("--names", help="JSON file to add this version's variable names to")
    parser.add_argument("--seed", type=int, default=40)
    args = parser.parse_args()
    if args.out:
        for i, case in enumerate(CASES):
            meta = make_case(case, args.out, args.seed + i)
            print("%s: %d variables, argmax margin %.4f" % (
                case["name"], len(meta["variables"]), meta["argmax_min_margin"]))
    if args.names:
        dump_names(args.names)


if __name__ == "__main__":
    main()
