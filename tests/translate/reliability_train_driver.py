"""A training run for the kill -9 tests: `translate.train.loop.train` on a model that starts fast.

The command line's training is `loop.train` with the flags' configuration; this runs the
same function with one small bucket, so that a process is training a second or two after it
starts and many kills fit in a short test.

    python reliability_train_driver.py CORPUS_DIR DATA_DIR TRAIN_DIR [MAX_STEPS]
"""

from __future__ import annotations

import os
import sys

from translate.hparams import HParams
from translate.train import loop

HPARAMS = HParams(size=16, num_layers=1, from_vocab_size=40, to_vocab_size=40, batch_size=8,
                  learning_rate=0.5, learning_rate_decay_factor=0.99, buckets=((3, 4),))
STEPS_PER_CHECKPOINT = 1
KEEP_CHECKPOINTS = 3


def main(argv: list[str]) -> None:
    corpus_dir, data_dir, train_dir = argv[1:4]
    max_steps = int(argv[4]) if len(argv) > 4 else 0
    config = loop.TrainConfig(
        data_dir=data_dir, train_dir=train_dir,
        from_train_data=os.path.join(corpus_dir, "train.en"),
        to_train_data=os.path.join(corpus_dir, "train.fr"),
        steps_per_checkpoint=STEPS_PER_CHECKPOINT, max_steps=max_steps,
        progress_bar=False, keep_checkpoints=KEEP_CHECKPOINTS)
    loop.train(HPARAMS, config)


if __name__ == "__main__":
    main(sys.argv)
