"""Rebuild a legacy_seq2seq golden case and evaluate it (outputs, states, losses, gradients).

One builder serves two libraries: the real TF 1.15 ``tf.contrib.legacy_seq2seq`` (graph mode,
used by ``tools/oracle_tf1/check_harness_tf1.py`` to validate this harness) and our TF 2 port
``legacy_seq2seq`` (graph mode, eager through ``Template`` and under ``tf.function``).  The
``tf``, ``seq2seq`` and ``rnn_cell`` modules are therefore always passed in, and this file must
stay importable by Python 3.7 (no walrus, annotations never evaluated, only numpy imported).

The case format is described in ``golden/README.md``.  A case directory holds ``case.json``,
``io.npz`` (time-major inputs and reference results) and, when it has variables, a TF 1.x
checkpoint ``model.ckpt``.
"""

from __future__ import annotations

import json
import os

import numpy as np

# Keys of io.npz that are produced by the call (everything else is an input of the call).
_RESULT_PREFIXES = ("outputs", "state/", "loss", "bucket", "objective", "grad/", "grad_input/")
# Extra input (not in io.npz) holding the value of a tensor-valued `feed_previous`.
FEED_PREVIOUS_KEY = "feed_previous"
_TENSOR_FEED_PREVIOUS = {"tensor:true": True, "tensor:false": False}
# Functions whose positional arguments end with (initial_state[, attention_states], cell).
_DECODERS_WITH_ATTENTION = ("attention_decoder", "embedding_attention_decoder")
_DECODERS_WITHOUT_ATTENTION = ("rnn_decoder", "embedding_rnn_decoder")
_LOSS_FUNCTIONS = ("sequence_loss", "sequence_loss_by_example")
# Functions whose output projection is sized by `num_symbols` instead of `num_decoder_symbols`.
_PROJECTION_BY_NUM_SYMBOLS = (
    "embedding_rnn_decoder",
    "embedding_attention_decoder",
    "embedding_tied_rnn_seq2seq",
)
# Cell spec keys passed to the base cell's constructor when present.
_CELL_OPTIONS = (
    "forget_bias",
    "state_is_tuple",
    "use_peepholes",
    "num_proj",
    "cell_clip",
    "proj_clip",
)


class Case:
    """One golden case loaded from disk.

    Attributes:
        name: the case directory's name.
        directory: absolute path of the case directory.
        config: the parsed ``case.json``.
        io: every array of ``io.npz`` by key.
        dtype: the case's float dtype name (``float32``, ``float64`` or ``float16``).
        checkpoint: checkpoint prefix path, or None for cases without variables.
    """

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)
        self.name = os.path.basename(self.directory)
        with open(os.path.join(self.directory, "case.json")) as f:
            self.config = json.load(f)
        with np.load(os.path.join(self.directory, "io.npz")) as npz:
            self.io = {key: npz[key] for key in npz.files}
        self.dtype = self.config["dtype"]
        checkpoint = self.config["checkpoint"]
        self.checkpoint = os.path.join(self.directory, checkpoint) if checkpoint else None

    @property
    def function(self) -> str:
        """Name of the legacy_seq2seq function the case calls."""
        return self.config["function"]

    @property
    def result_keys(self) -> list[str]:
        """io.npz keys holding reference results (outputs, states, losses, gradients)."""
        return sorted(k for k in self.io if k.startswith(_RESULT_PREFIXES))

    @property
    def grad_input_keys(self) -> list[str]:
        """Input keys whose gradient is stored (as ``grad_input/<key>``)."""
        prefix = "grad_input/"
        return sorted(k[len(prefix):] for k in self.io if k.startswith(prefix))

    @property
    def grad_none(self) -> set[str]:
        """``grad/...`` keys where TF 1.15 returned None (stored as zeros)."""
        return set(self.config["grad_none"])

    def input_arrays(self) -> dict[str, np.ndarray]:
        """Every input of the call as an array, keyed like io.npz.

        Returns:
            dict key -> array; time-major ``[T, B]`` int32 ids or ``[T, B, D]`` floats, plus
            ``FEED_PREVIOUS_KEY`` -> numpy bool scalar when the case passes a tensor
            ``feed_previous``.
        """
        arrays = {k: v for k, v in self.io.items() if not k.startswith(_RESULT_PREFIXES)}
        feed_previous = _call_spec(self.config).get("kwargs", {}).get("feed_previous")
        if feed_previous in _TENSOR_FEED_PREVIOUS:
            arrays[FEED_PREVIOUS_KEY] = np.bool_(_TENSOR_FEED_PREVIOUS[feed_previous])
        return arrays


def load_cases(root: str) -> list[Case]:
    """Load every case directory under ``root`` (sorted by name)."""
    # Hidden directories are generators' unfinished work (see make_extra_cases.py).
    names = sorted(
        d
        for d in os.listdir(root)
        if not d.startswith(".") and os.path.isfile(os.path.join(root, d, "case.json"))
    )
    return [Case(os.path.join(root, name)) for name in names]


def _call_spec(config: dict) -> dict:
    """The seq2seq sub-call spec of model_with_buckets cases, else the case itself."""
    return config.get("seq2seq", config)


def variable_specs(case: Case) -> set[tuple]:
    """The variables the case must create: {(tf1 name, shape tuple, dtype name)}."""
    return {(v["name"], tuple(v["shape"]), v["dtype"]) for v in case.config["variables"]}


def _single_cell(spec: dict, rnn_cell):
    """One fresh base cell of the spec's type with the spec's constructor options."""
    options = {key: spec[key] for key in _CELL_OPTIONS if key in spec}
    return getattr(rnn_cell, spec["type"])(spec["num_units"], **options)


def make_cell(spec: dict, rnn_cell, case_name: str = "?"):
    """A fresh cell built from a cell spec (see golden/README.md).

    Args:
        spec: the cell spec: base type and options, optional MultiRNNCell layering, wrappers.
        rnn_cell: the module with the cell classes (``tf.contrib.rnn`` or
            ``legacy_seq2seq.rnn_cell``).
        case_name: named in errors.

    Returns:
        the (multi-layer, wrapped) cell; nothing is built yet.

    Raises:
        ValueError: for an unknown wrapper type.
    """
    if spec["multi"]:
        layers = [_single_cell(spec, rnn_cell) for _ in range(spec["num_layers"])]
        cell = rnn_cell.MultiRNNCell(layers, state_is_tuple=spec["multi_state_is_tuple"])
    else:
        cell = _single_cell(spec, rnn_cell)
    for wrapper in spec["wrappers"]:
        kind = wrapper["type"]
        if kind == "InputProjectionWrapper":
            cell = rnn_cell.InputProjectionWrapper(cell, wrapper["num_proj"])
        elif kind == "OutputProjectionWrapper":
            cell = rnn_cell.OutputProjectionWrapper(cell, wrapper["output_size"])
        else:
            raise ValueError(f"case {case_name}: unknown cell wrapper {kind!r}")
    return cell


class _Builder:
    """Builds one case's call graph from input tensors (see ``build``)."""

    def __init__(self, case: Case, inputs: dict, seq2seq, rnn_cell, tf) -> None:
        self.case = case
        self.config = case.config
        self.inputs = inputs
        self.seq2seq = seq2seq
        self.rnn_cell = rnn_cell
        self.tf = tf
        self.tf1 = tf.compat.v1
        self.dtype = tf.as_dtype(case.dtype)

    # ----- inputs -----------------------------------------------------------------------------
    def steps(self, key: str) -> list:
        """The per-time-step list of a time-major input."""
        return self.tf.unstack(self.inputs[key], axis=0)

    def initial_state(self, cell):
        """The initial state packed with the structure of ``cell.state_size``."""
        count = len([k for k in self.inputs if k.startswith("initial_state/")])
        leaves = [self.inputs[f"initial_state/{i}"] for i in range(count)]
        return self.tf.nest.pack_sequence_as(cell.state_size, leaves)

    # ----- cells ------------------------------------------------------------------------------
    def cell(self, spec: dict):
        """A fresh cell (multi-layer and wrapped as the spec says)."""
        return make_cell(spec, self.rnn_cell, self.case.name)

    # ----- special keyword arguments ----------------------------------------------------------
    def root_variable(self, name: str, shape: list):
        """A variable of the case dtype; builds run at the root variable scope."""
        return self.tf1.get_variable(name, shape, dtype=self.dtype)

    def output_size(self, kwargs: dict, cell) -> int:
        """Size of the decoder outputs before any output projection."""
        return kwargs.get("output_size") or cell.output_size

    def projection_variables(self, function: str, kwargs: dict, cell) -> tuple:
        """Root variables proj_w [V, out], proj_b [V] of an output projection."""
        if function in _PROJECTION_BY_NUM_SYMBOLS:
            num_symbols = kwargs["num_symbols"]
        else:
            num_symbols = kwargs["num_decoder_symbols"]
        proj_w = self.root_variable("proj_w", [num_symbols, self.output_size(kwargs, cell)])
        proj_b = self.root_variable("proj_b", [num_symbols])
        return proj_w, proj_b

    def loop_function(self, spec: dict, kwargs: dict, cell):
        """The loop_function a case spec describes."""
        kind = spec["kind"]
        tf = self.tf
        if kind == "identity":
            return lambda prev, i: prev
        shape = [self.output_size(kwargs, cell), self.config["input_size"]]
        if kind == "matmul_tanh_step":
            loop_w = self.root_variable("loop_w", shape)
            return lambda prev, i: tf.tanh(tf.matmul(prev, loop_w)) * (1.0 + 0.25 * i)
        if kind == "argmax_embed":
            loop_embedding = self.root_variable("loop_embedding", shape)
            return lambda prev, i: tf.nn.embedding_lookup(loop_embedding, tf.argmax(prev, 1))
        raise ValueError(f"case {self.case.name}: unknown loop_function kind {kind!r}")

    def sampled_loss(self, spec: dict, proj_w, proj_b):
        """The translate tutorial's sampled softmax loss with the case's fixed samples."""
        tf = self.tf
        dtype = self.dtype
        sampled_values = (
            tf.cast(self.inputs["sampled/candidates"], tf.int64),
            self.inputs["sampled/true_expected_count"],
            self.inputs["sampled/sampled_expected_count"],
        )

        def sampled_loss(labels, logits):
            labels = tf.reshape(labels, [-1, 1])
            loss = self.tf1.nn.sampled_softmax_loss(
                weights=tf.cast(proj_w, tf.float32),
                biases=tf.cast(proj_b, tf.float32),
                labels=labels,
                inputs=tf.cast(logits, tf.float32),
                num_sampled=spec["num_sampled"],
                num_classes=spec["num_classes"],
                sampled_values=sampled_values,
            )
            return tf.cast(loss, dtype)

        return sampled_loss

    def call_kwargs(self, function: str, kwargs: dict, cell, projection=None) -> dict:
        """Decode the JSON keyword arguments of a seq2seq/decoder call.

        Args:
            function: the called function's name.
            kwargs: the JSON kwargs.
            cell: the cell of the call (sizes of root variables).
            projection: already created (proj_w, proj_b), shared by model_with_buckets' buckets.

        Returns:
            dict of keyword arguments ready to pass.
        """
        decoded = dict(kwargs)
        if "output_projection" in kwargs:
            if kwargs["output_projection"]:
                proj_w, proj_b = projection or self.projection_variables(function, kwargs, cell)
                decoded["output_projection"] = (self.tf.transpose(proj_w), proj_b)
            else:
                decoded["output_projection"] = None
        if kwargs.get("feed_previous") in _TENSOR_FEED_PREVIOUS:
            decoded["feed_previous"] = self.inputs[FEED_PREVIOUS_KEY]
        if "loop_function" in kwargs:
            decoded["loop_function"] = self.loop_function(kwargs["loop_function"], kwargs, cell)
        if "dtype" in kwargs:
            decoded["dtype"] = self.tf.as_dtype(kwargs["dtype"])
        return decoded

    # ----- calls ------------------------------------------------------------------------------
    def objective_dtype(self):
        """float32 for float16 cases (README), else the case dtype."""
        return self.tf.float32 if self.dtype == self.tf.float16 else self.dtype

    def probed_sum(self, outputs: list, probe_key: str):
        """sum(stack(outputs) * grad_probe) in the objective dtype."""
        dtype = self.objective_dtype()
        stacked = self.tf.cast(self.tf.stack(outputs), dtype)
        return self.tf.reduce_sum(stacked * self.tf.cast(self.inputs[probe_key], dtype))

    def seq_call(self) -> dict:
        """A seq2seq / decoder function: outputs, state leaves, objective."""
        function = self.case.function
        cell = self.cell(self.config["cell"])
        if function in _DECODERS_WITH_ATTENTION:
            args = [
                self.steps("decoder_inputs"),
                self.initial_state(cell),
                self.inputs["attention_states"],
            ]
        elif function in _DECODERS_WITHOUT_ATTENTION:
            args = [self.steps("decoder_inputs"), self.initial_state(cell)]
        else:
            args = [self.steps("encoder_inputs"), self.steps("decoder_inputs")]
        kwargs = self.call_kwargs(function, self.config["kwargs"], cell)
        outputs, state = getattr(self.seq2seq, function)(*args, cell, **kwargs)
        results = {"outputs": self.tf.stack(outputs)}
        for i, leaf in enumerate(self.tf.nest.flatten(state)):
            results[f"state/{i}"] = leaf
        results["objective"] = self.probed_sum(outputs, "grad_probe")
        return results

    def one2many_call(self) -> dict:
        """one2many_rnn_seq2seq: outputs and state leaves per decoder, objective."""
        decoders = self.config["decoders"]
        decoder_inputs = {d["name"]: self.steps("decoder_inputs/" + d["name"]) for d in decoders}
        dec_cells = {d["name"]: self.cell(d["cell"]) for d in decoders}
        num_symbols = {d["name"]: d["num_symbols"] for d in decoders}
        enc_cell = self.cell(self.config["enc_cell"])
        kwargs = self.call_kwargs(self.case.function, self.config["kwargs"], enc_cell)
        outputs, states = self.seq2seq.one2many_rnn_seq2seq(
            self.steps("encoder_inputs"),
            decoder_inputs,
            enc_cell,
            dec_cells,
            num_decoder_symbols_dict=num_symbols,
            **kwargs,
        )
        results = {}
        objective = []
        for name in sorted(outputs):
            results["outputs/" + name] = self.tf.stack(outputs[name])
            for i, leaf in enumerate(self.tf.nest.flatten(states[name])):
                results[f"state/{name}/{i}"] = leaf
            objective.append(self.probed_sum(outputs[name], "grad_probe/" + name))
        results["objective"] = self.tf.add_n(objective)
        return results

    def loss_sum(self, loss):
        """sum(loss) in the objective dtype."""
        return self.tf.reduce_sum(self.tf.cast(loss, self.objective_dtype()))

    def loss_kwargs(self, kwargs: dict, projection) -> dict:
        """Decode a loss function's JSON kwargs (softmax_loss_function)."""
        decoded = dict(kwargs)
        spec = kwargs.get("softmax_loss_function")
        if spec is not None:
            if spec["kind"] != "sampled_softmax_translate":
                raise ValueError(
                    f"case {self.case.name}: unknown softmax_loss_function {spec!r}"
                )
            decoded["softmax_loss_function"] = self.sampled_loss(spec, *projection())
        return decoded

    def loss_call(self) -> dict:
        """sequence_loss / sequence_loss_by_example on the stored logits."""
        def projection():
            num_classes = self.config["num_classes"]
            return (
                self.root_variable("proj_w", [num_classes, self.config["input_size"]]),
                self.root_variable("proj_b", [num_classes]),
            )

        kwargs = self.loss_kwargs(self.config["kwargs"], projection)
        loss = getattr(self.seq2seq, self.case.function)(
            self.steps("logits"), self.steps("targets"), self.steps("weights"), **kwargs
        )
        return {"loss": loss, "objective": self.loss_sum(loss)}

    def buckets_call(self) -> dict:
        """model_with_buckets with a fresh cell per bucket; bucket outputs, losses, objective."""
        spec = self.config["seq2seq"]
        function = spec["function"]
        projection = None
        if spec["kwargs"].get("output_projection"):
            projection = self.projection_variables(
                function, spec["kwargs"], self.cell(spec["cell"])
            )

        def seq2seq_f(encoder_inputs, decoder_inputs):
            cell = self.cell(spec["cell"])
            kwargs = self.call_kwargs(function, spec["kwargs"], cell, projection)
            return getattr(self.seq2seq, function)(encoder_inputs, decoder_inputs, cell, **kwargs)

        kwargs = self.loss_kwargs(self.config["kwargs"], lambda: projection)
        kwargs["buckets"] = [tuple(bucket) for bucket in kwargs["buckets"]]
        outputs, losses = self.seq2seq.model_with_buckets(
            self.steps("encoder_inputs"),
            self.steps("decoder_inputs"),
            self.steps("targets"),
            self.steps("weights"),
            seq2seq=seq2seq_f,
            **kwargs,
        )
        results = {}
        for i, (bucket_outputs, loss) in enumerate(zip(outputs, losses)):
            results[f"bucket{i}/outputs"] = self.tf.stack(bucket_outputs)
            results[f"bucket{i}/loss"] = loss
        results["objective"] = self.tf.add_n([self.loss_sum(loss) for loss in losses])
        return results

    def call(self) -> dict:
        """The call of the case's function (see ``build``)."""
        function = self.case.function
        if function == "one2many_rnn_seq2seq":
            return self.one2many_call()
        if function in _LOSS_FUNCTIONS:
            return self.loss_call()
        if function == "model_with_buckets":
            return self.buckets_call()
        return self.seq_call()


def build(case: Case, inputs: dict, seq2seq, rnn_cell, tf) -> dict:
    """Make the case's call from input tensors, creating its variables in the current scope.

    Args:
        case: the case.
        inputs: dict input key -> tensor, one per ``case.input_arrays()`` entry (time-major
            stacks; the call receives their per-step lists).
        seq2seq: the legacy_seq2seq module (TF 1.15 contrib or our port).
        rnn_cell: the module with the cell classes (``tf.contrib.rnn`` or
            ``legacy_seq2seq.rnn_cell``).
        tf: the tensorflow module.

    Returns:
        dict result key -> tensor, keyed like io.npz: ``outputs`` ``[T, B, out]`` and
        ``state/<i>`` (one2many: ``outputs/<name>``, ``state/<name>/<i>``), or ``loss``, or
        ``bucket<i>/outputs`` and ``bucket<i>/loss``; always the scalar ``objective``.

    Raises:
        ValueError: if the case uses a construct this builder does not know.
    """
    builder = _Builder(case, inputs, seq2seq, rnn_cell, tf)
    outer = case.config.get("outer_scope")
    if outer is None:
        return builder.call()
    # The whole call, root variables included, runs inside this scope (its dtype becomes the
    # default of every function whose `dtype` argument is left out).
    with tf.compat.v1.variable_scope(outer["name"], dtype=tf.as_dtype(outer["dtype"])):
        return builder.call()


def _variable_spec(variable) -> tuple:
    """(tf1 name, shape tuple, dtype name) of a variable."""
    name = variable.name[: -len(":0")] if variable.name.endswith(":0") else variable.name
    return name, tuple(variable.shape.as_list()), variable.dtype.base_dtype.name


def _gradient_targets(case: Case, names: list, variables: list, inputs: dict) -> tuple:
    """Result keys and tensors to differentiate: grad/<variable>, grad_input/<input>."""
    keys = ["grad/" + name for name in names] + ["grad_input/" + k for k in case.grad_input_keys]
    targets = list(variables) + [inputs[k] for k in case.grad_input_keys]
    return keys, targets


def _dense(tf, gradient):
    """Densify IndexedSlices; keep None (no gradient path) as None."""
    return None if gradient is None else tf.convert_to_tensor(gradient)


def run_graph(case: Case, seq2seq, rnn_cell, tf) -> tuple:
    """Evaluate the case in a fresh TF1-style graph restored from the case checkpoint.

    Every input is a placeholder (so nothing is constant-folded); Grappler is off, as when the
    reference was produced; the checkpoint is restored with a plain ``Saver()`` (no name map).

    Returns:
        (results, variables): results is dict io.npz key -> numpy array (None where the
        gradient is None); variables is the set of (name, shape, dtype) of the global variables.
    """
    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        feeds = {}
        inputs = {}
        for key, array in case.input_arrays().items():
            placeholder = tf1.placeholder(tf.as_dtype(array.dtype), array.shape)
            feeds[placeholder] = array
            inputs[key] = placeholder
        results = build(case, inputs, seq2seq, rnn_cell, tf)
        trainable = tf1.trainable_variables()
        names = [_variable_spec(v)[0] for v in trainable]
        keys, targets = _gradient_targets(case, names, trainable, inputs)
        gradients = tf1.gradients(results["objective"], targets)
        fetches = dict(results)
        none_keys = []
        for key, gradient in zip(keys, gradients):
            if gradient is None:
                none_keys.append(key)
            else:
                fetches[key] = _dense(tf, gradient)
        variables = {_variable_spec(v) for v in tf1.global_variables()}
        config = tf1.ConfigProto()
        config.graph_options.rewrite_options.disable_meta_optimizer = True
        with tf1.Session(graph=graph, config=config) as session:
            if case.checkpoint:
                tf1.train.Saver().restore(session, case.checkpoint)
            values = session.run(fetches, feed_dict=feeds)
    values.update({key: None for key in none_keys})
    return values, variables


def run_template(case: Case, seq2seq, rnn_cell, tf, use_function: bool) -> tuple:
    """Evaluate the case with TF 2 eager execution through ``seq2seq.Template``.

    A first eager call creates the variables, ``Template.load_tf1_checkpoint`` loads the case
    checkpoint by name, then a second call (inside ``tf.function`` when ``use_function``; a
    traced first call would trace twice) computes the results and gradients (``tf.GradientTape``).

    Returns:
        (results, variables) as for ``run_graph``.
    """
    template = seq2seq.Template(lambda inputs: build(case, inputs, seq2seq, rnn_cell, tf))

    def evaluate(inputs):
        with tf.GradientTape() as tape:
            for key in case.grad_input_keys:
                tape.watch(inputs[key])
            results = template(inputs)
        by_name = template.variables_by_name
        names = sorted(n for n in by_name if by_name[n].trainable)
        keys, targets = _gradient_targets(case, names, [by_name[n] for n in names], inputs)
        gradients = tape.gradient(results["objective"], targets)
        results = dict(results)
        results.update({k: _dense(tf, g) for k, g in zip(keys, gradients)})
        return results

    inputs = {k: tf.constant(v) for k, v in case.input_arrays().items()}
    template(inputs)
    if case.checkpoint:
        template.load_tf1_checkpoint(case.checkpoint)
    results = (tf.function(evaluate) if use_function else evaluate)(inputs)
    values = {k: None if v is None else v.numpy() for k, v in results.items()}
    variables = {_variable_spec(v) for v in template.variables}
    return values, variables


def result_problems(case: Case, results: dict, mismatch) -> list[str]:
    """Every way ``results`` fails to reproduce the case's stored reference.

    Args:
        case: the case.
        results: dict io.npz key -> array, or None for a gradient with no path (as returned
            by ``run_graph`` / ``run_template``).
        mismatch: ``mismatch(ours, reference, dtype)`` -> None or a description (the
            tolerance rule, ``numerics.mismatch`` in the TF 2 tests).

    Returns:
        one line per differing key (empty when everything matches).
    """
    problems = []
    for key in case.result_keys:
        if key not in results:
            problems.append(f"{key}: not produced")
            continue
        ours = results[key]
        if ours is None:
            # TF 1.15 had no gradient path here either (the reference stores zeros).
            if key not in case.grad_none:
                problems.append(f"{key}: gradient is None, TF 1.15 has one")
            continue
        problem = mismatch(ours, case.io[key], case.dtype)
        if problem:
            problems.append(f"{key}: {problem}")
    return problems
