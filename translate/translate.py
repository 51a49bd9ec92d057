"""Binary for training translation models and decoding from them (the tutorial's translate.py).

    python -m translate --from_train_data=train.en --to_train_data=train.fr \\
        --data_dir=data --train_dir=train            # train (until killed, or --max_steps)
    python -m translate --decode --data_dir=data --train_dir=train   # interactive, "> " prompt
    python -m translate --self_test

Same flags, defaults, output and checkpoints as the original; `python translate/translate.py`
works too. Without --from_train_data/--to_train_data, training downloads WMT en-fr into
--data_dir, as the original did.
"""

from __future__ import annotations

import os
import random
import sys

if __name__ == "__main__" and not __package__:
    # Run as `python translate/translate.py`: the package, not this file, must be `translate`.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    sys.path.insert(0, os.path.dirname(_here))
    from translate import runtime_env

    runtime_env.configure(sys.argv)

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from translate import checkpoints, decoding, training  # noqa: E402
from translate.batching import read_data as _read_data  # noqa: E402
from translate.hparams import BUCKETS, HParams  # noqa: E402
from translate.model_setup import create_model as _create_model  # noqa: E402
from translate.seq2seq_model import Seq2SeqModel  # noqa: E402

flags.DEFINE_float("learning_rate", 0.5, "Learning rate.")
flags.DEFINE_float("learning_rate_decay_factor", 0.99, "Learning rate decays by this much.")
flags.DEFINE_float("max_gradient_norm", 5.0, "Clip gradients to this norm.")
flags.DEFINE_integer("batch_size", 64, "Batch size to use during training.")
flags.DEFINE_integer("size", 1024, "Size of each model layer.")
flags.DEFINE_integer("num_layers", 3, "Number of layers in the model.")
flags.DEFINE_integer("from_vocab_size", 40000, "English vocabulary size.")
flags.DEFINE_integer("to_vocab_size", 40000, "French vocabulary size.")
flags.DEFINE_string("data_dir", "/tmp", "Data directory")
flags.DEFINE_string("train_dir", "/tmp", "Training directory.")
flags.DEFINE_string("from_train_data", None, "Training data.")
flags.DEFINE_string("to_train_data", None, "Training data.")
flags.DEFINE_string("from_dev_data", None, "Training data.")
flags.DEFINE_string("to_dev_data", None, "Training data.")
flags.DEFINE_integer("max_train_data_size", 0, "Limit on the size of training data (0: no limit).")
flags.DEFINE_integer("steps_per_checkpoint", 200, "How many training steps to do per checkpoint.")
flags.DEFINE_boolean("decode", False, "Set to True for interactive decoding.")
flags.DEFINE_boolean("self_test", False, "Run a self-test if this is set to True.")
flags.DEFINE_boolean("use_fp16", False, "Train using fp16 instead of fp32.")
# Beyond the original; the defaults keep its behaviour.
flags.DEFINE_boolean("use_lstm", False, "Use LSTM cells instead of GRU cells.")
flags.DEFINE_integer("max_steps", 0, "Stop training at this global step (0: never stop).")
flags.DEFINE_boolean("normalize_digits", True,
                     "Map every digit to 0 before looking words up, as the original always "
                     "does; --nonormalize_digits keeps numbers (train and decode alike).")
flags.DEFINE_boolean("progress_bar", True,
                     "Show a progress bar between checkpoints (when stderr is a terminal).")

FLAGS = flags.FLAGS

# We use a number of buckets and pad to the closest one for efficiency.
_buckets = [tuple(b) for b in BUCKETS]


def hparams_from_flags() -> HParams:
    """The model configuration the flags describe."""
    return HParams(
        learning_rate=FLAGS.learning_rate,
        learning_rate_decay_factor=FLAGS.learning_rate_decay_factor,
        max_gradient_norm=FLAGS.max_gradient_norm,
        batch_size=FLAGS.batch_size,
        size=FLAGS.size,
        num_layers=FLAGS.num_layers,
        from_vocab_size=FLAGS.from_vocab_size,
        to_vocab_size=FLAGS.to_vocab_size,
        use_lstm=FLAGS.use_lstm,
        use_fp16=FLAGS.use_fp16,
        buckets=tuple(_buckets),
    )


def read_data(source_path: str, target_path: str, max_size: int | None = None) -> list:
    """The original's `read_data`: token-id pairs per bucket of `_buckets`.

    See `translate.batching.read_data` for Args, Returns and Raises.
    """
    return _read_data(source_path, target_path, _buckets, max_size)


def create_model(session: object, forward_only: bool) -> Seq2SeqModel:
    """The original's `create_model`: the model of the flags, restored from --train_dir.

    Args:
      session: ignored (no Session in TF 2); kept for the original's signature.
      forward_only: build for decoding.

    Returns:
      The model.
    """
    del session
    return _create_model(hparams_from_flags(), FLAGS.train_dir, forward_only)


def train() -> None:
    """Trains on --from_train_data/--to_train_data (or WMT), checkpointing to --train_dir."""
    config = training.TrainConfig(
        data_dir=FLAGS.data_dir,
        train_dir=FLAGS.train_dir,
        from_train_data=FLAGS.from_train_data,
        to_train_data=FLAGS.to_train_data,
        from_dev_data=FLAGS.from_dev_data,
        to_dev_data=FLAGS.to_dev_data,
        max_train_data_size=FLAGS.max_train_data_size,
        steps_per_checkpoint=FLAGS.steps_per_checkpoint,
        max_steps=FLAGS.max_steps,
        progress_bar=FLAGS.progress_bar,
        normalize_digits=FLAGS.normalize_digits,
    )
    training.train(hparams_from_flags(), config)


def decode() -> None:
    """Translates stdin line by line with the latest checkpoint of --train_dir."""
    model = create_model(None, True)
    if checkpoints.latest_checkpoint(FLAGS.train_dir) is None:
        print(f"Warning: no checkpoint in --train_dir={FLAGS.train_dir}; translating with "
              "untrained random parameters.", file=sys.stderr)
    source_vocab, rev_target_vocab = decoding.load_vocabularies(
        FLAGS.data_dir, FLAGS.from_vocab_size, FLAGS.to_vocab_size)
    decoding.interactive_decode(model, source_vocab, rev_target_vocab,
                                normalize_digits=FLAGS.normalize_digits)


def self_test() -> None:
    """Trains a tiny model for 5 steps on a fake data set; raises if anything is off.

    Raises:
      RuntimeError: a loss or gradient norm is not finite, or the global step did not count
        the 5 steps.
    """
    print("Self-test for neural translation model.")
    # Vocabularies of 10, 2 small buckets, 2 layers of 32, sampled softmax with 8 samples.
    model = Seq2SeqModel(10, 10, [(3, 3), (6, 6)], 32, 2, 5.0, 32, 0.3, 0.99, num_samples=8)
    data_set = ([([1, 1], [2, 2]), ([3, 3], [4]), ([5], [6])],
                [([1, 1, 1, 1, 1], [2, 2, 2, 2, 2]), ([3, 3, 3], [5, 6])])
    for _ in range(5):
        bucket_id = random.choice([0, 1])
        encoder_inputs, decoder_inputs, target_weights = model.get_batch(data_set, bucket_id)
        norm, loss, _ = model.step(
            None, encoder_inputs, decoder_inputs, target_weights, bucket_id, False)
        if not (np.isfinite(norm) and np.isfinite(loss)):
            raise RuntimeError(f"self-test: bucket {bucket_id} gave loss {loss}, gradient "
                               f"norm {norm}")
    if int(model.global_step.numpy()) != 5:
        raise RuntimeError(f"self-test: global step is {int(model.global_step.numpy())} "
                           "after 5 training steps")


def main(argv: list[str]) -> int:
    """Runs the mode the flags choose; bad input ends with one error line and status 1.

    Args:
      argv: positional arguments left after flag parsing (only the program name is allowed).

    Returns:
      The exit status: 0, 1 for bad input, 130 when training is interrupted.
    """
    if len(argv) > 1:
        print(f"Error: unexpected arguments {argv[1:]}; every option is a --flag "
              "(see --helpshort).", file=sys.stderr)
        return 1
    try:
        if FLAGS.self_test:
            self_test()
        elif FLAGS.decode:
            decode()
        else:
            train()
    except (ValueError, OSError) as e:
        sys.stdout.flush()
        print(f"Error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        sys.stdout.flush()
        latest = checkpoints.latest_checkpoint(FLAGS.train_dir)
        print(f"\nInterrupted. Latest checkpoint: {latest or 'none'}.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    app.run(main)
