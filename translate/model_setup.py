"""Building the model and restoring its latest checkpoint, as the original's `create_model`."""

from __future__ import annotations

from translate import checkpoints
from translate.hparams import HParams
from translate.seq2seq_model import Seq2SeqModel


def create_model(hparams: HParams, train_dir: str, forward_only: bool) -> Seq2SeqModel:
    """Builds the model and loads the latest checkpoint of `train_dir` when there is one.

    Prints the original's "Reading model parameters from <path>" or "Created model with fresh
    parameters." to stdout.

    Args:
      hparams: the model's configuration.
      train_dir: the directory holding `checkpoint` and `translate.ckpt-N` files.
      forward_only: build for decoding (see `Seq2SeqModel`).

    Returns:
      The model.

    Raises:
      translate.checkpoints.CheckpointMismatchError: the checkpoint was trained with another
        configuration; names the variables and both shapes.
    """
    model = Seq2SeqModel.from_hparams(hparams, forward_only)
    prefix = checkpoints.latest_checkpoint(train_dir)
    if prefix:
        print(f"Reading model parameters from {prefix}")
        model.saver.restore(None, prefix)
    else:
        print("Created model with fresh parameters.")
    return model
