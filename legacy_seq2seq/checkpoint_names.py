"""Variable names of checkpoints written by older TensorFlow 1.x releases.

TensorFlow 1.2 renamed the variables of RNN cells and of the seq2seq linear maps.
Checkpoints of TF 1.0 and 1.1 (the "tf1.0" era) differ from those of TF 1.2 to 1.15
(the "tf1.2" era, the names this library makes) in two ways, found by building
every `legacy_seq2seq` model with TF 1.0.1, 1.1.0, 1.2.1, 1.3.0 and 1.15.0 and
reading the variables (`tools/oracle_tf1/make_tf10_checkpoints.py --names`):

* a linear map's `kernel` and `bias` were `weights` and `biases`;
* a cell inside `EmbeddingWrapper`, `InputProjectionWrapper` or
  `OutputProjectionWrapper` ran in its caller's scope, not in the wrapper's:
  `.../rnn/gru_cell/gates/weights` for `.../rnn/embedding_wrapper/gru_cell/gates/kernel`.
  The wrapper's own variables (`embedding_wrapper/embedding`,
  `output_projection_wrapper/kernel`) stayed in the wrapper's scope.

Every other name (attention `AttnW_0`, `AttnV_0`, LSTM peepholes `w_f_diag`, the
embeddings, the translate demo's `proj_w`) is the same in both eras.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import tensorflow as tf

__all__ = [
    "ERA_TF1_0",
    "ERA_TF1_2",
    "ERA_DESCRIPTIONS",
    "tf1_0_name",
    "detect_checkpoint_era",
    "match_checkpoint_names",
    "var_list_for_checkpoint",
]

ERA_TF1_0 = "tf1.0"
ERA_TF1_2 = "tf1.2"
ERA_DESCRIPTIONS = {
    ERA_TF1_0: "TensorFlow 1.0-1.1 names (weights/biases; wrapped cells outside the "
               "wrapper's scope)",
    ERA_TF1_2: "TensorFlow 1.2-1.15 names (kernel/bias)",
}

_TF1_0_LEAF = {"kernel": "weights", "bias": "biases"}
_WRAPPER_SCOPES = frozenset(
    {"embedding_wrapper", "input_projection_wrapper", "output_projection_wrapper"})


def tf1_0_name(name: str) -> str:
    """The name TF 1.0/1.1 gave the variable that TF 1.2-1.15 names `name`.

    Example: "m/rnn/embedding_wrapper/gru_cell/gates/kernel" -> "m/rnn/gru_cell/gates/weights".
    """
    parts = name.split("/")
    parts[-1] = _TF1_0_LEAF.get(parts[-1], parts[-1])
    # A wrapper scope stays only where it holds the wrapper's own variable (its last scope).
    return "/".join(
        part for i, part in enumerate(parts)
        if part not in _WRAPPER_SCOPES or i == len(parts) - 2)


def detect_checkpoint_era(checkpoint_names: Iterable[str]) -> str:
    """Tells the era of a checkpoint from its variable names alone.

    Args:
      checkpoint_names: the checkpoint's variable names.

    Returns:
      `ERA_TF1_0` when linear maps are named `weights`/`biases` and none
      `kernel`/`bias`; else `ERA_TF1_2` (also for checkpoints with no linear map).
    """
    leaves = {name.rsplit("/", 1)[-1] for name in checkpoint_names}
    old = bool(leaves & set(_TF1_0_LEAF.values()))
    new = bool(leaves & set(_TF1_0_LEAF))
    return ERA_TF1_0 if old and not new else ERA_TF1_2


def match_checkpoint_names(
    model_names: Iterable[str], checkpoint_names: Iterable[str]
) -> tuple[str, dict[str, str]]:
    """Picks the era under which a checkpoint holds a model's variables.

    The era is the one whose naming finds more of `model_names` in the checkpoint
    (on a tie, the names `detect_checkpoint_era` says), so a model's own variable
    called `weights` cannot mislead it.

    Args:
      model_names: the model's variable names, in this library's (TF 1.15) naming.
      checkpoint_names: the checkpoint's variable names.

    Returns:
      `(era, names)`: the era, and for every model name the checkpoint name to
      read it from (present in the checkpoint or not).
    """
    model_names = list(model_names)
    in_checkpoint = set(checkpoint_names)
    current = {name: name for name in model_names}
    older = {name: tf1_0_name(name) for name in model_names}
    found_current = sum(n in in_checkpoint for n in current.values())
    found_older = sum(n in in_checkpoint for n in older.values())
    if found_older > found_current or (
            found_older == found_current
            and detect_checkpoint_era(in_checkpoint) == ERA_TF1_0):
        return ERA_TF1_0, older
    return ERA_TF1_2, current


def var_list_for_checkpoint(
    variables: Iterable[tf.Variable] | Mapping[str, tf.Variable], path: str
) -> dict[str, tf.Variable]:
    """A `var_list` for `tf.compat.v1.train.Saver` that restores any era's checkpoint.

    For graph-mode code: `Saver(var_list_for_checkpoint(tf.compat.v1.global_variables(),
    path)).restore(session, path)` reads a TF 1.0/1.1 checkpoint into variables
    named the TF 1.2-1.15 way.

    Args:
      variables: the variables to restore, or a dict from their names (without ":0")
        to them.
      path: the checkpoint prefix, or a directory with a `checkpoint` file.

    Returns:
      A dict from checkpoint name to variable, for the era the checkpoint is in.
    """
    if not isinstance(variables, Mapping):
        variables = {v.name[:-2] if v.name.endswith(":0") else v.name: v for v in variables}
    checkpoint_names = [name for name, _ in tf.train.list_variables(path)]
    _, names = match_checkpoint_names(variables, checkpoint_names)
    return {names[name]: variable for name, variable in variables.items()}
