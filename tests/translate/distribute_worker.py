"""One worker of the 2-worker run of test_distribute_multiworker.py (TF_CONFIG set by the test).

Trains the tiny model with the training loop under `--distribution_strategy=multi_worker`, then
writes every variable (this worker's copy) to an .npz file for the test to compare.

    python distribute_worker.py OUT.npz DATA_DIR TRAIN_DIR MAX_STEPS FROM_TRAIN TO_TRAIN
"""

from __future__ import annotations

import sys

import numpy as np

from translate.hparams import HParams
from translate.train import loop


def main(argv: list[str]) -> None:
    out, data_dir, train_dir, max_steps, from_train, to_train = argv[1:]
    hparams = HParams(size=16, num_layers=1, from_vocab_size=100, to_vocab_size=100,
                      batch_size=8)
    config = loop.TrainConfig(
        data_dir=data_dir, train_dir=train_dir, from_train_data=from_train,
        to_train_data=to_train, steps_per_checkpoint=2, max_steps=int(max_steps),
        progress_bar=False, distribution_strategy="multi_worker")
    model = loop.train(hparams, config)
    # "/" is not allowed in npz keys on every platform; the test maps it back.
    np.savez(out, **{name.replace("/", "|"): variable.numpy()
                     for name, variable in model.variables_by_name.items()})


if __name__ == "__main__":
    main(sys.argv)
