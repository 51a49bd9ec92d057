"""Generate the extra legacy_seq2seq golden cases with the real TF 1.15 (Python 3.7 + TF 1.15).

The owners' 32 cases (``tests/legacy_seq2seq/golden/``) leave configurations untested: float64
and float16 models, LSTMCell options, BasicRNNCell, non-tuple MultiRNNCell states, cell
wrappers, custom scopes, several attention heads with ``initial_state_attention``, argmax loop
functions, three buckets, sampled softmax losses.  This script writes one case per such
configuration into ``tests/legacy_seq2seq/golden_extra/`` in the same format
(``golden/README.md``).

Every call is built by the test harness itself (``tests/legacy_seq2seq/case_builder.py``) on
top of ``tf.contrib.legacy_seq2seq`` / ``tf.contrib.rnn``, so there is one builder for the
reference and for the port:

1. draw the inputs (numpy, from the case seed) and write a provisional case;
2. build the call once in a TF 1.15 graph, draw a value for every variable (uniform in
   +-0.6, from the variable seed) and save them with a plain ``Saver`` (``model.ckpt``);
3. draw ``grad_probe`` with the shapes of the outputs, then evaluate the case exactly as
   ``check_harness_tf1.py`` does (``case_builder.run_graph``: placeholders, Grappler off,
   checkpoint restored) for outputs, states, losses, objective and gradients;
4. when a logit vector fed to an argmax (``feed_previous``, ``argmax_embed`` loops) has a
   top1-top2 gap below ``MIN_MARGIN``, or a result is not finite, draw again with the next
   seed; otherwise write the case (to a temporary directory, then renamed into place).

Usage (from the repository root):
    ~/tf1/bin/python tools/oracle_tf1/make_extra_cases.py [--out DIR] [--list] [NAME ...]

Afterwards ``~/tf1/bin/python tools/oracle_tf1/check_harness_tf1.py --cases
tests/legacy_seq2seq/golden_extra`` must report every case as reproduced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests", "legacy_seq2seq")
sys.path.insert(0, TESTS)

import case_builder  # noqa: E402  (needs the path above)

OUT = os.path.join(TESTS, "golden_extra")
FORMAT_VERSION = 1
GRAPH_SEED = 1234
# Variable values are uniform in [-VAR_RANGE, VAR_RANGE] (biases included).
VAR_RANGE = 0.6
# Smallest allowed top1-top2 gap of a logit vector fed to an argmax.  float16 values carry
# rounding errors of ~1e-3, so a port's float16 argmax is only stable with a wider gap.
MIN_MARGIN = {"float16": 5e-2, "float32": 2e-3, "float64": 2e-3}
MAX_DRAWS = 200
# Inputs whose gradient is not stored (the probe defines the objective; samples are fixed).
_NO_GRAD_INPUT_PREFIXES = ("grad_probe", "sampled/")
_LOSS_FUNCTIONS = ("sequence_loss", "sequence_loss_by_example")
_FLOAT_INPUT_FUNCTIONS = (
    "rnn_decoder",
    "attention_decoder",
    "basic_rnn_seq2seq",
    "tied_rnn_seq2seq",
)
_DECODERS = (
    "rnn_decoder",
    "attention_decoder",
    "embedding_rnn_decoder",
    "embedding_attention_decoder",
)
_ATTENTION_DECODERS = ("attention_decoder", "embedding_attention_decoder")
_SEQ2SEQ = (
    "basic_rnn_seq2seq",
    "tied_rnn_seq2seq",
    "embedding_rnn_seq2seq",
    "embedding_tied_rnn_seq2seq",
    "embedding_attention_seq2seq",
)


# ----- cell specs (all defaults filled in, as in golden/README.md) ------------------------------
def _base(kind, units, **options):
    spec = {"multi": False, "num_layers": 1, "num_units": units, "type": kind, "wrappers": []}
    spec.update(options)
    return spec


def gru(units):
    return _base("GRUCell", units)


def basic_rnn(units):
    return _base("BasicRNNCell", units)


def basic_lstm(units, forget_bias=1.0, state_is_tuple=True):
    return _base("BasicLSTMCell", units, forget_bias=forget_bias, state_is_tuple=state_is_tuple)


def lstm(
    units,
    use_peepholes=False,
    num_proj=None,
    cell_clip=None,
    proj_clip=None,
    forget_bias=1.0,
    state_is_tuple=True,
):
    return _base(
        "LSTMCell",
        units,
        use_peepholes=use_peepholes,
        num_proj=num_proj,
        cell_clip=cell_clip,
        proj_clip=proj_clip,
        forget_bias=forget_bias,
        state_is_tuple=state_is_tuple,
    )


def multi(cell, layers, state_is_tuple=True):
    return dict(cell, multi=True, num_layers=layers, multi_state_is_tuple=state_is_tuple)


def wrapped(cell, *wrappers):
    return dict(cell, wrappers=list(wrappers))


def in_proj(num_proj):
    return {"type": "InputProjectionWrapper", "num_proj": num_proj}


def out_proj(output_size):
    return {"type": "OutputProjectionWrapper", "output_size": output_size}


def sampled(num_sampled, num_classes, op_seed):
    return {
        "kind": "sampled_softmax_translate",
        "num_sampled": num_sampled,
        "num_classes": num_classes,
        "graph_seed": GRAPH_SEED,
        "op_seed": op_seed,
    }


ARGMAX_EMBED = {"kind": "argmax_embed"}


def _case(name, function, seed, **fields):
    spec = {"name": name, "function": function, "seed": seed, "dtype": "float32", "kwargs": {}}
    spec.update(fields)
    return spec


# ----- the cases -------------------------------------------------------------------------------
# Sizes: batch_size B, encoder_length, decoder_length, input_size (float inputs / loop
# embeddings / sampled-softmax inputs), attn_length x attn_size, num_classes (losses).
ATT = dict(batch_size=2, decoder_length=3, input_size=4, attn_length=3, attn_size=4)
EMB = dict(batch_size=2, encoder_length=3, decoder_length=4)
CASES = [
    # --- attention_decoder ---
    _case("attention_decoder_f64_gru_2heads_dtype", "attention_decoder", 301, dtype="float64",
          cell=gru(5), kwargs={"num_heads": 2, "dtype": "float64"}, **ATT),
    _case("attention_decoder_f16_lstm_outer_scope_dtype", "attention_decoder", 302,
          dtype="float16", cell=basic_lstm(4), kwargs={"output_size": 5},
          outer_scope={"name": "half", "dtype": "float16"}, **ATT),
    _case("attention_decoder_lstmcell_peep_proj_clip_scope", "attention_decoder", 303,
          cell=lstm(5, use_peepholes=True, num_proj=4, cell_clip=0.3, proj_clip=0.1,
                    forget_bias=0.5),
          kwargs={"scope": "my_attention"},
          **dict(ATT, batch_size=3, attn_length=4, attn_size=5)),
    _case("attention_decoder_lstmcell_nontuple_2heads_isa", "attention_decoder", 304,
          cell=lstm(4, forget_bias=2.0, state_is_tuple=False),
          kwargs={"num_heads": 2, "initial_state_attention": True, "output_size": 6}, **ATT),
    _case("attention_decoder_multi3_gru_nontuple", "attention_decoder", 305,
          cell=multi(gru(3), 3, state_is_tuple=False), kwargs={}, **ATT),
    _case("attention_decoder_lstm_loop_argmax_embed", "attention_decoder", 306,
          cell=basic_lstm(5), kwargs={"loop_function": ARGMAX_EMBED, "output_size": 6},
          **dict(ATT, decoder_length=4)),
    # --- rnn_decoder ---
    _case("rnn_decoder_f64_basicrnn", "rnn_decoder", 311, dtype="float64", cell=basic_rnn(5),
          batch_size=3, decoder_length=4, input_size=3),
    _case("rnn_decoder_lstmcell_nontuple_peep_proj_scope", "rnn_decoder", 312,
          cell=lstm(4, use_peepholes=True, num_proj=3, forget_bias=0.0, state_is_tuple=False),
          kwargs={"scope": "my_decoder"}, batch_size=2, decoder_length=3, input_size=4),
    _case("rnn_decoder_gru_loop_argmax_embed", "rnn_decoder", 313, cell=gru(6),
          kwargs={"loop_function": ARGMAX_EMBED}, batch_size=3, decoder_length=4, input_size=4),
    _case("rnn_decoder_gru_inproj_outproj", "rnn_decoder", 314,
          cell=wrapped(gru(4), in_proj(3), out_proj(7)), batch_size=2, decoder_length=3,
          input_size=5),
    # --- basic_rnn_seq2seq / tied_rnn_seq2seq ---
    _case("basic_rnn_seq2seq_multi3_gru_nontuple_scope", "basic_rnn_seq2seq", 321,
          cell=multi(gru(4), 3, state_is_tuple=False), kwargs={"scope": "enc_dec"},
          batch_size=2, encoder_length=3, decoder_length=3, input_size=3),
    _case("basic_rnn_seq2seq_lstm_outproj", "basic_rnn_seq2seq", 322,
          cell=wrapped(basic_lstm(4), out_proj(6)), batch_size=3, encoder_length=2,
          decoder_length=3, input_size=4),
    _case("basic_rnn_seq2seq_f64_basicrnn_dtype", "basic_rnn_seq2seq", 323, dtype="float64",
          cell=basic_rnn(4), kwargs={"dtype": "float64"}, batch_size=2, encoder_length=3,
          decoder_length=2, input_size=3),
    _case("basic_rnn_seq2seq_lstmcell_inproj_outproj_scope", "basic_rnn_seq2seq", 324,
          cell=wrapped(lstm(5, use_peepholes=True, num_proj=3), in_proj(4), out_proj(6)),
          kwargs={"scope": "my_seq2seq"}, batch_size=2, encoder_length=3, decoder_length=3,
          input_size=5),
    _case("tied_rnn_seq2seq_lstm_outproj_scope", "tied_rnn_seq2seq", 326,
          cell=wrapped(basic_lstm(4), out_proj(5)), kwargs={"scope": "tied"}, batch_size=3,
          encoder_length=2, decoder_length=3, input_size=4),
    # --- embedding_rnn_decoder / embedding_attention_decoder ---
    _case("embedding_rnn_decoder_outproj_fp_noupdate", "embedding_rnn_decoder", 331,
          cell=wrapped(gru(5), out_proj(8)),
          kwargs={"num_symbols": 8, "embedding_size": 4, "feed_previous": True,
                  "update_embedding_for_previous": False},
          batch_size=3, decoder_length=4),
    _case("embedding_rnn_decoder_lstmcell_proj_fp_scope", "embedding_rnn_decoder", 332,
          cell=lstm(6, use_peepholes=True, num_proj=5),
          kwargs={"num_symbols": 9, "embedding_size": 4, "output_projection": True,
                  "feed_previous": True, "scope": "my_emb_decoder"},
          batch_size=2, decoder_length=4),
    _case("embedding_attention_decoder_output_size_fp", "embedding_attention_decoder", 333,
          cell=gru(6), kwargs={"num_symbols": 8, "embedding_size": 4, "output_size": 5,
                               "feed_previous": True},
          batch_size=2, decoder_length=4, attn_length=3, attn_size=5),
    _case("embedding_attention_decoder_proj_output_size_fp_noupdate_scope",
          "embedding_attention_decoder", 334, cell=gru(5),
          kwargs={"num_symbols": 9, "embedding_size": 4, "num_heads": 2, "output_size": 6,
                  "output_projection": True, "feed_previous": True,
                  "update_embedding_for_previous": False, "scope": "my_att_decoder"},
          batch_size=3, decoder_length=3, attn_length=2, attn_size=4),
    # --- embedding_rnn_seq2seq ---
    _case("embedding_rnn_seq2seq_f64_lstm_fptensor_true", "embedding_rnn_seq2seq", 341,
          dtype="float64", cell=basic_lstm(4),
          kwargs={"num_encoder_symbols": 6, "num_decoder_symbols": 7, "embedding_size": 3,
                  "feed_previous": "tensor:true", "dtype": "float64"}, **EMB),
    _case("embedding_rnn_seq2seq_f16_gru_fp", "embedding_rnn_seq2seq", 343, dtype="float16",
          cell=gru(4), kwargs={"num_encoder_symbols": 6, "num_decoder_symbols": 7,
                               "embedding_size": 3, "feed_previous": True, "dtype": "float16"},
          **EMB),
    _case("embedding_rnn_seq2seq_lstmcell_nontuple_proj_fp", "embedding_rnn_seq2seq", 344,
          cell=lstm(5, use_peepholes=True, num_proj=4, forget_bias=2.0, state_is_tuple=False),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 9, "embedding_size": 4,
                  "output_projection": True, "feed_previous": True}, **EMB),
    # --- embedding_attention_seq2seq ---
    _case("embedding_attention_seq2seq_f64_gru_2heads_fp", "embedding_attention_seq2seq", 351,
          dtype="float64", cell=gru(5),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 8, "embedding_size": 4,
                  "num_heads": 2, "feed_previous": True, "dtype": "float64"}, **EMB),
    _case("embedding_attention_seq2seq_f16_lstm_proj", "embedding_attention_seq2seq", 352,
          dtype="float16", cell=basic_lstm(4),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 8, "embedding_size": 3,
                  "output_projection": True, "feed_previous": False, "dtype": "float16"}, **EMB),
    _case("embedding_attention_seq2seq_f64_outer_scope_dtype_proj", "embedding_attention_seq2seq",
          353, dtype="float64", cell=gru(4), outer_scope={"name": "double", "dtype": "float64"},
          kwargs={"num_encoder_symbols": 6, "num_decoder_symbols": 7, "embedding_size": 3,
                  "output_projection": True, "feed_previous": False}, **EMB),
    _case("embedding_attention_seq2seq_lstmcell_peep_proj_clip_outproj_fp",
          "embedding_attention_seq2seq", 354,
          cell=lstm(5, use_peepholes=True, num_proj=4, cell_clip=0.4, proj_clip=0.1,
                    forget_bias=0.5),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 9, "embedding_size": 4,
                  "output_projection": True, "feed_previous": True}, **EMB),
    _case("embedding_attention_seq2seq_2heads_isa_fptensor_true_proj",
          "embedding_attention_seq2seq", 355, cell=gru(5),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 9, "embedding_size": 4,
                  "num_heads": 2, "initial_state_attention": True, "output_projection": True,
                  "feed_previous": "tensor:true", "scope": "my_eas"}, **EMB),
    _case("embedding_attention_seq2seq_2heads_isa_fptensor_false_proj",
          "embedding_attention_seq2seq", 356, cell=gru(5),
          kwargs={"num_encoder_symbols": 7, "num_decoder_symbols": 9, "embedding_size": 4,
                  "num_heads": 2, "initial_state_attention": True, "output_projection": True,
                  "feed_previous": "tensor:false"}, **EMB),
    _case("embedding_attention_seq2seq_lstm2_2heads_isa_fptensor_true",
          "embedding_attention_seq2seq", 357, cell=multi(basic_lstm(4), 2),
          kwargs={"num_encoder_symbols": 6, "num_decoder_symbols": 7, "embedding_size": 3,
                  "num_heads": 2, "initial_state_attention": True,
                  "feed_previous": "tensor:true"}, **EMB),
    _case("embedding_attention_seq2seq_lstm2_2heads_isa_fptensor_false",
          "embedding_attention_seq2seq", 358, cell=multi(basic_lstm(4), 2),
          kwargs={"num_encoder_symbols": 6, "num_decoder_symbols": 7, "embedding_size": 3,
                  "num_heads": 2, "initial_state_attention": True,
                  "feed_previous": "tensor:false"}, **EMB),
    # --- one2many_rnn_seq2seq ---
    _case("one2many_rnn_seq2seq_gru_fptensor_true_scope", "one2many_rnn_seq2seq", 361,
          enc_cell=gru(5),
          decoders=[{"name": "d1", "cell": gru(5), "length": 3, "num_symbols": 7},
                    {"name": "d2", "cell": gru(5), "length": 4, "num_symbols": 4}],
          kwargs={"num_encoder_symbols": 6, "embedding_size": 3, "feed_previous": "tensor:true",
                  "scope": "my_one2many"}, batch_size=2, encoder_length=3),
    _case("one2many_rnn_seq2seq_lstm_fptensor_false", "one2many_rnn_seq2seq", 362,
          enc_cell=basic_lstm(4),
          decoders=[{"name": "fr", "cell": basic_lstm(4), "length": 4, "num_symbols": 5},
                    {"name": "de", "cell": basic_lstm(4), "length": 2, "num_symbols": 8}],
          kwargs={"num_encoder_symbols": 6, "embedding_size": 3,
                  "feed_previous": "tensor:false"}, batch_size=3, encoder_length=3),
    # --- embedding_tied_rnn_seq2seq ---
    _case("embedding_tied_rnn_seq2seq_gru_proj", "embedding_tied_rnn_seq2seq", 371, cell=gru(5),
          kwargs={"num_symbols": 8, "embedding_size": 4, "output_projection": True,
                  "feed_previous": False}, **EMB),
    _case("embedding_tied_rnn_seq2seq_lstm_proj_fp_scope", "embedding_tied_rnn_seq2seq", 372,
          cell=basic_lstm(5),
          kwargs={"num_symbols": 8, "embedding_size": 4, "output_projection": True,
                  "feed_previous": True, "scope": "my_tied"}, **dict(EMB, batch_size=3)),
    # --- model_with_buckets ---
    _case("model_with_buckets_3b_full_pe1_embedding_rnn", "model_with_buckets", 381,
          seq2seq={"function": "embedding_rnn_seq2seq", "cell": gru(5),
                   "kwargs": {"num_encoder_symbols": 7, "num_decoder_symbols": 8,
                              "embedding_size": 4, "feed_previous": False}},
          kwargs={"buckets": [[2, 2], [3, 4], [4, 5]], "per_example_loss": True},
          batch_size=2),
    _case("model_with_buckets_3b_sampled_lstm2_attention", "model_with_buckets", 382,
          seq2seq={"function": "embedding_attention_seq2seq", "cell": multi(basic_lstm(5), 2),
                   "kwargs": {"num_encoder_symbols": 8, "num_decoder_symbols": 10,
                              "embedding_size": 4, "output_projection": True,
                              "feed_previous": False}},
          kwargs={"buckets": [[2, 2], [3, 3], [4, 5]], "per_example_loss": False,
                  "softmax_loss_function": sampled(4, 10, 151)},
          batch_size=3),
    # --- losses: float64 / float16 logits, sampled softmax ---
    _case("sequence_loss_f64_t1_b0", "sequence_loss", 393, dtype="float64",
          kwargs={"average_across_timesteps": True, "average_across_batch": False},
          batch_size=3, decoder_length=3, num_classes=6, weights_style="real"),
    _case("sequence_loss_by_example_f16_avg1", "sequence_loss_by_example", 394,
          dtype="float16", kwargs={"average_across_timesteps": True},
          batch_size=3, decoder_length=4, num_classes=5, weights_style="real"),
    _case("sequence_loss_sampled_t1_b1", "sequence_loss", 391,
          kwargs={"average_across_timesteps": True, "average_across_batch": True,
                  "softmax_loss_function": sampled(4, 11, 152)},
          batch_size=3, decoder_length=3, input_size=5, num_classes=11, weights_style="real"),
    _case("sequence_loss_by_example_sampled_avg1", "sequence_loss_by_example", 392,
          kwargs={"average_across_timesteps": True, "softmax_loss_function": sampled(3, 9, 153)},
          batch_size=2, decoder_length=4, input_size=4, num_classes=9, weights_style="real"),
]


# ----- inputs ----------------------------------------------------------------------------------
def _floats(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _ids(rng, shape, vocab):
    return rng.randint(0, vocab, size=shape).astype(np.int32)


def _real_weights(rng, shape, dtype):
    """Positive weights with about one in five zero."""
    keep = rng.uniform(size=shape) > 0.2
    return (rng.uniform(0.1, 2.0, size=shape) * keep).astype(dtype)


def _mask_weights(rng, shape, dtype):
    """0/1 weights, mostly 1 (padding-like)."""
    return (rng.uniform(size=shape) > 0.2).astype(dtype)


def _sampled_values(tf, spec, targets0):
    """The fixed (candidates, true_expected_count, sampled_expected_count) of a case."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(spec["graph_seed"])
        candidates = tf.nn.log_uniform_candidate_sampler(
            true_classes=tf.constant(targets0.astype(np.int64).reshape([-1, 1])),
            num_true=1,
            num_sampled=spec["num_sampled"],
            unique=True,
            range_max=spec["num_classes"],
            seed=spec["op_seed"],
        )
        with tf.Session(graph=graph) as session:
            values = session.run(candidates)
    return {
        "sampled/candidates": values[0].astype(np.int64),
        "sampled/true_expected_count": values[1].astype(np.float32),
        "sampled/sampled_expected_count": values[2].astype(np.float32),
    }


def _state_leaves(tf, cell_spec, rng, batch_size, dtype):
    """initial_state/<i> for the leaves of the spec's cell state."""
    cell = case_builder.make_cell(cell_spec, tf.contrib.rnn)
    sizes = tf.contrib.framework.nest.flatten(cell.state_size)
    return {
        "initial_state/%d" % i: _floats(rng, (batch_size, size), dtype)
        for i, size in enumerate(sizes)
    }


def _symbol_counts(function, kwargs):
    """(encoder vocabulary, decoder vocabulary) of an embedding function's int inputs."""
    if function == "embedding_tied_rnn_seq2seq":
        return kwargs["num_symbols"], kwargs["num_symbols"]
    if function in _DECODERS:
        return None, kwargs["num_symbols"]
    return kwargs["num_encoder_symbols"], kwargs["num_decoder_symbols"]


def _loss_inputs(tf, spec, rng):
    kwargs = spec["kwargs"]
    sampled_spec = kwargs.get("softmax_loss_function")
    steps = (spec["decoder_length"], spec["batch_size"])
    width = spec["input_size"] if sampled_spec else spec["num_classes"]
    inputs = {
        "logits": _floats(rng, steps + (width,), spec["dtype"], 1.5),
        "targets": _ids(rng, steps, spec["num_classes"]),
        "weights": _real_weights(rng, steps, spec["dtype"]),
    }
    if sampled_spec:
        inputs.update(_sampled_values(tf, sampled_spec, inputs["targets"][0]))
    return inputs


def _bucket_inputs(tf, spec, rng):
    kwargs = spec["kwargs"]
    seq_kwargs = spec["seq2seq"]["kwargs"]
    encoder_length = max(bucket[0] for bucket in kwargs["buckets"])
    steps = (max(bucket[1] for bucket in kwargs["buckets"]), spec["batch_size"])
    inputs = {
        "encoder_inputs": _ids(
            rng, (encoder_length, spec["batch_size"]), seq_kwargs["num_encoder_symbols"]
        ),
        "decoder_inputs": _ids(rng, steps, seq_kwargs["num_decoder_symbols"]),
        "targets": _ids(rng, steps, seq_kwargs["num_decoder_symbols"]),
        "weights": _mask_weights(rng, steps, spec["dtype"]),
    }
    sampled_spec = kwargs.get("softmax_loss_function")
    if sampled_spec:
        inputs.update(_sampled_values(tf, sampled_spec, inputs["targets"][0]))
    return inputs


def _one2many_inputs(spec, rng):
    kwargs = spec["kwargs"]
    batch = spec["batch_size"]
    inputs = {
        "encoder_inputs": _ids(rng, (spec["encoder_length"], batch), kwargs["num_encoder_symbols"])
    }
    for decoder in spec["decoders"]:
        inputs["decoder_inputs/" + decoder["name"]] = _ids(
            rng, (decoder["length"], batch), decoder["num_symbols"]
        )
    return inputs


def _seq_inputs(tf, spec, rng):
    function = spec["function"]
    batch = spec["batch_size"]
    dtype = spec["dtype"]
    inputs = {}
    if function in _FLOAT_INPUT_FUNCTIONS:
        width = spec["input_size"]
        if function in _SEQ2SEQ:
            inputs["encoder_inputs"] = _floats(rng, (spec["encoder_length"], batch, width), dtype)
        inputs["decoder_inputs"] = _floats(rng, (spec["decoder_length"], batch, width), dtype)
    else:
        encoder_vocab, decoder_vocab = _symbol_counts(function, spec["kwargs"])
        if encoder_vocab:
            inputs["encoder_inputs"] = _ids(rng, (spec["encoder_length"], batch), encoder_vocab)
        inputs["decoder_inputs"] = _ids(rng, (spec["decoder_length"], batch), decoder_vocab)
    if function in _DECODERS:
        inputs.update(_state_leaves(tf, spec["cell"], rng, batch, dtype))
    if function in _ATTENTION_DECODERS:
        inputs["attention_states"] = _floats(
            rng, (batch, spec["attn_length"], spec["attn_size"]), dtype
        )
    return inputs


def draw_inputs(tf, spec, rng):
    """Every input of the call (no grad_probe yet), keyed like io.npz."""
    function = spec["function"]
    if function in _LOSS_FUNCTIONS:
        return _loss_inputs(tf, spec, rng)
    if function == "model_with_buckets":
        return _bucket_inputs(tf, spec, rng)
    if function == "one2many_rnn_seq2seq":
        return _one2many_inputs(spec, rng)
    return _seq_inputs(tf, spec, rng)


def _probe_keys(spec):
    """grad_probe keys of the case (one per decoder for one2many, none for losses)."""
    function = spec["function"]
    if function == "one2many_rnn_seq2seq":
        return ["grad_probe/" + decoder["name"] for decoder in spec["decoders"]]
    if function in _LOSS_FUNCTIONS or function == "model_with_buckets":
        return []
    return ["grad_probe"]


def _grad_input_keys(inputs):
    return sorted(
        key
        for key, array in inputs.items()
        if array.dtype.kind == "f" and not key.startswith(_NO_GRAD_INPUT_PREFIXES)
    )


# ----- building and evaluating -----------------------------------------------------------------
def _write(directory, config, io):
    with open(os.path.join(directory, "case.json"), "w") as f:
        json.dump(config, f, indent=1, sort_keys=True)
        f.write("\n")
    np.savez_compressed(os.path.join(directory, "io.npz"), **io)


def create_checkpoint(tf, case, rng):
    """Build the case once, draw every variable's value and save them as ``model.ckpt``.

    The grad_probe inputs get placeholders of unknown shape: their shapes are read off the
    outputs built here.

    Returns:
        (probe shapes {probe key: shape}, variables [(name, value, trainable)] sorted by name).
    """
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(GRAPH_SEED)
        inputs = {}
        for key, array in case.input_arrays().items():
            shape = None if key.startswith("grad_probe") else array.shape
            inputs[key] = tf.placeholder(tf.as_dtype(array.dtype), shape)
        results = case_builder.build(case, inputs, tf.contrib.legacy_seq2seq, tf.contrib.rnn, tf)
        probe_shapes = {
            "grad_probe" + key[len("outputs"):]: tuple(tensor.shape.as_list())
            for key, tensor in results.items()
            if key == "outputs" or key.startswith("outputs/")
        }
        variables = sorted(tf.global_variables(), key=lambda v: v.op.name)
        trainable = set(tf.trainable_variables())
        drawn = [
            (
                v.op.name,
                rng.uniform(-VAR_RANGE, VAR_RANGE, v.shape.as_list()).astype(
                    v.dtype.base_dtype.as_numpy_dtype
                ),
                v in trainable,
            )
            for v in variables
        ]
        if variables:
            with tf.Session(graph=graph) as session:
                for variable, (_, value, _) in zip(variables, drawn):
                    variable.load(value, session)
                tf.train.Saver(variables).save(
                    session,
                    case.checkpoint,
                    write_meta_graph=False,
                    write_state=False,
                )
    return probe_shapes, drawn


def argmax_margin(spec, results, values):
    """Smallest top1-top2 gap of the logit vectors the call feeds to an argmax, or None.

    The outputs of steps 0..T-2 are fed back (through the output projection, when there is
    one) when feed_previous is on or the loop function is ``argmax_embed``.
    """
    kwargs = spec.get("seq2seq", spec)["kwargs"]
    feeds_back = kwargs.get("feed_previous") in (True, "tensor:true")
    argmax_loop = (kwargs.get("loop_function") or {}).get("kind") == "argmax_embed"
    if not (feeds_back or argmax_loop):
        return None
    prefix = spec["outer_scope"]["name"] + "/" if "outer_scope" in spec else ""
    margins = []
    for key, outputs in results.items():
        if not (key == "outputs" or key.startswith("outputs/") or key.endswith("/outputs")):
            continue
        logits = outputs[:-1].astype(np.float64)
        if not logits.size:
            continue
        if kwargs.get("output_projection"):
            proj_w = values[prefix + "proj_w"].astype(np.float64)
            logits = logits @ proj_w.T + values[prefix + "proj_b"].astype(np.float64)
        top2 = np.sort(logits, axis=-1)[..., -2:]
        margins.append(float(np.min(top2[..., 1] - top2[..., 0])))
    return min(margins) if margins else None


def _spec_shape(array):
    return "%s%s" % (array.dtype.name, list(array.shape))


def _objective_text(spec):
    function = spec["function"]
    if function in _LOSS_FUNCTIONS:
        text = "L = sum(loss)"
    elif function == "model_with_buckets":
        text = "L = sum over buckets i of sum(bucket<i>/loss)"
    elif function == "one2many_rnn_seq2seq":
        text = "L = sum over decoders d of sum(outputs/d * grad_probe/d)"
    else:
        text = "L = sum(outputs * grad_probe)"
    if spec["dtype"] == "float16":
        text += " (in float32: the float16 values are cast to float32 first)"
    return text


def _call_text(spec):
    kwargs = ", ".join(
        "%s=%s" % (key, json.dumps(value, sort_keys=True))
        for key, value in sorted(spec["kwargs"].items())
    )
    return "legacy_seq2seq.%s(<positional inputs>, %s)" % (spec["function"], kwargs)


def _construction_notes(spec):
    """Human-readable notes on how the call was made (format: golden/README.md)."""
    function = spec["function"]
    sequences = (
        "(sequences are Python lists of the time-major npz arrays unstacked along axis 0); "
        "then every entry of kwargs as a keyword argument."
    )
    if function in _LOSS_FUNCTIONS:
        positional = "logits, targets, weights"
    elif function == "model_with_buckets":
        positional = "encoder_inputs, decoder_inputs, targets, weights, seq2seq=seq2seq_f"
    elif function == "one2many_rnn_seq2seq":
        positional = (
            "encoder_inputs, {name: decoder_inputs/<name>}, enc_cell, {name: decoder cell}, "
            "num_decoder_symbols_dict={name: num_symbols}"
        )
    elif function in _ATTENTION_DECODERS:
        positional = "decoder_inputs, initial_state, attention_states, cell"
    elif function in _DECODERS:
        positional = "decoder_inputs, initial_state, cell"
    else:
        positional = "encoder_inputs, decoder_inputs, cell"
    notes = ["positional arguments: %s %s" % (positional, sequences)]
    call = spec.get("seq2seq", spec)
    kwargs = call["kwargs"]
    if function == "model_with_buckets":
        notes.append(
            "seq2seq_f = lambda x, y: legacy_seq2seq.%s(x, y, <FRESH cell built from "
            "seq2seq.cell on every call>, **seq2seq.kwargs); buckets are passed as a list of "
            "tuples." % call["function"]
        )
    if "cell" in call or "enc_cell" in call:
        notes.append(
            "cells: a fresh cell per spec: <type>(num_units, **options), MultiRNNCell of "
            "fresh layers when multi, then the wrappers in order (InputProjectionWrapper(cell, "
            "num_proj), OutputProjectionWrapper(cell, output_size))."
        )
    if kwargs.get("output_projection"):
        notes.append(
            "output_projection=true: proj_w [V, out] and proj_b [V] are made by "
            "tf.get_variable at the ROOT variable scope before the call; the function "
            "receives output_projection=(tf.transpose(proj_w), proj_b)."
        )
    if kwargs.get("feed_previous") in ("tensor:true", "tensor:false"):
        notes.append(
            "feed_previous=%s: a scalar tf.bool placeholder fed %s."
            % (kwargs["feed_previous"], kwargs["feed_previous"] == "tensor:true")
        )
    if "loop_function" in kwargs:
        notes.append(
            "loop_function argmax_embed: root variable loop_embedding [out, input_size]; "
            "lambda prev, i: tf.nn.embedding_lookup(loop_embedding, tf.argmax(prev, 1))."
        )
    if "dtype" in kwargs:
        notes.append("dtype=%s is passed as tf.%s." % (kwargs["dtype"], kwargs["dtype"]))
    if "scope" in kwargs:
        notes.append("scope=%r is passed as a string." % kwargs["scope"])
    if "outer_scope" in spec:
        notes.append(
            "outer_scope: the whole build (root variables included) runs inside "
            "tf.variable_scope(%r, dtype=tf.%s); the function's dtype argument is left out, "
            "so it takes the scope's dtype."
            % (spec["outer_scope"]["name"], spec["outer_scope"]["dtype"])
        )
    if "softmax_loss_function" in spec["kwargs"]:
        notes.append(
            "softmax_loss_function: the translate tutorial's sampled_loss with the fixed "
            "sampled_values (sampled/candidates, sampled/true_expected_count, "
            "sampled/sampled_expected_count), drawn once by tf.set_random_seed(graph_seed); "
            "tf.nn.log_uniform_candidate_sampler(int64(targets[0]).reshape([-1, 1]), 1, "
            "num_sampled, unique=True, range_max=num_classes, seed=op_seed)."
        )
    return notes


def _final_io(inputs, results, drawn):
    """io.npz: inputs plus results, None gradients stored as zeros; and the None keys."""
    io = dict(inputs)
    shapes = {"grad/" + name: value for name, value, _ in drawn}
    shapes.update({"grad_input/" + key: value for key, value in inputs.items()})
    grad_none = []
    for key, value in results.items():
        if value is None:
            grad_none.append(key)
            value = np.zeros_like(shapes[key])
        io[key] = value
    return io, sorted(grad_none)


def attempt(tf, spec, seed, directory):
    """Draw, build and evaluate one candidate of the case in ``directory``.

    ``directory`` is left holding the checkpoint and a provisional case.json / io.npz.

    Returns:
        (config, io, margin): the candidate's final case.json content, io.npz arrays and
        argmax margin (None when nothing is fed to an argmax).
    """
    rng = np.random.RandomState(seed)
    var_seed = 100000 + seed
    config = dict(spec)
    config.update(
        {
            "format_version": FORMAT_VERSION,
            "seed": seed,
            "graph_seed": GRAPH_SEED,
            "var_seed_used": var_seed,
            "checkpoint": "model.ckpt",
            "grad_none": [],
            "tensorflow_version": tf.__version__,
        }
    )
    inputs = draw_inputs(tf, spec, rng)
    provisional = dict(inputs)
    provisional.update({key: np.zeros((), spec["dtype"]) for key in _probe_keys(spec)})
    _write(directory, config, provisional)
    probe_shapes, drawn = create_checkpoint(
        tf, case_builder.Case(directory), np.random.RandomState(var_seed)
    )
    if not drawn:
        config["checkpoint"] = None
    for key in _probe_keys(spec):
        inputs[key] = _floats(rng, probe_shapes[key], spec["dtype"])
    provisional = dict(inputs)
    provisional.update(
        {"grad_input/" + key: np.zeros_like(inputs[key]) for key in _grad_input_keys(inputs)}
    )
    _write(directory, config, provisional)
    case = case_builder.Case(directory)
    results, _ = case_builder.run_graph(case, tf.contrib.legacy_seq2seq, tf.contrib.rnn, tf)
    io, grad_none = _final_io(inputs, results, drawn)
    values = {name: value for name, value, _ in drawn}
    margin = argmax_margin(config, io, values)
    config.update(
        {
            "grad_none": grad_none,
            "argmax_min_margin": margin,
            "objective": _objective_text(spec),
            "call": _call_text(spec),
            "construction_notes": _construction_notes(spec),
            "npz_keys": {key: _spec_shape(value) for key, value in sorted(io.items())},
            "variables": [
                {
                    "name": name,
                    "shape": list(value.shape),
                    "dtype": value.dtype.name,
                    "trainable": trainable,
                }
                for name, value, trainable in drawn
            ],
        }
    )
    return config, io, margin


def _acceptable(spec, io, margin):
    finite = all(
        np.all(np.isfinite(value)) for value in io.values() if value.dtype.kind == "f"
    )
    return finite and (margin is None or margin >= MIN_MARGIN[spec["dtype"]])


def make_case(tf, spec, out):
    """Generate one case into ``out/<name>`` (replacing any previous version)."""
    final = os.path.join(out, spec["name"])
    work = os.path.join(out, "." + spec["name"] + ".tmp")
    for seed in range(spec["seed"], spec["seed"] + MAX_DRAWS):
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        config, io, margin = attempt(tf, spec, seed, work)
        if _acceptable(spec, io, margin):
            break
    else:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(
            "case %s: no draw in seeds %d..%d has finite results and argmax margins >= %g"
            % (spec["name"], spec["seed"], spec["seed"] + MAX_DRAWS - 1, MIN_MARGIN[spec["dtype"]])
        )
    _write(work, config, io)
    old = os.path.join(out, "." + spec["name"] + ".old")
    if os.path.exists(final):
        os.rename(final, old)
    os.rename(work, final)
    shutil.rmtree(old, ignore_errors=True)
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT, help="output directory (default: %(default)s)")
    parser.add_argument("--list", action="store_true", help="list the case names and exit")
    parser.add_argument("names", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    known = [spec["name"] for spec in CASES]
    if args.list:
        print("\n".join(known))
        return 0
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error("unknown case names: %s" % ", ".join(unknown))
    if len(set(known)) != len(known):
        raise RuntimeError("duplicate case names in CASES")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    os.makedirs(args.out, exist_ok=True)
    for spec in CASES:
        if args.names and spec["name"] not in args.names:
            continue
        config = make_case(tf, spec, args.out)
        print(
            "%-64s seed %d, %d variables, margin %s"
            % (spec["name"], config["seed"], len(config["variables"]), config["argmax_min_margin"])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
