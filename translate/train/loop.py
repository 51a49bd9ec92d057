"""The original's training loop: buckets drawn by size, periodic log, decay, checkpoint, eval.

The steps themselves are `translate.train.trainer`'s (through the NaN policy of
`translate.train.nan_policy`), on one device or under a strategy (`translate.train.distribute`).
Every `steps_per_checkpoint` steps it prints
    global step N learning rate R step-time T perplexity P
decays the learning rate when the interval's loss is above the last three intervals' losses,
saves `<train_dir>/translate.ckpt-N` and prints the perplexity of one dev batch per bucket.
Beyond the original: a progress bar between checkpoints (on a terminal, on stderr), and
`max_steps` to stop at a global step (the original trains until killed). Faults stop training
with a clear message and leave the last good checkpoint the latest: a NaN or infinite loss
(`nan_policy`, see `translate.train.nan_policy`), a checkpoint that cannot be written, token ids
outside the vocabulary. The decay history (the intervals' losses) lives in memory as in the
original: a resumed run restores global step and learning rate from the checkpoint, and waits
for three new intervals before it may decay again.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time

import tensorflow as tf

import data_utils
from translate import batching, checkpoints, datasets
from translate.hparams import HParams
from translate.model_setup import create_model, read_token_ids, vocabulary_paths
from translate.seq2seq_model import Seq2SeqModel, checkpoint_prefix
from translate.summaries import TrainingSummaries
from translate.train import distribute
from translate.train.nan_policy import GuardedTrainer
from translate.train.progress import ProgressBar


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Where the data and checkpoints are and how long to train; defaults are the original's.

    Attributes:
      data_dir: where vocabularies (and token-id files of WMT) are written.
      train_dir: where checkpoints are written and restored from.
      from_train_data, to_train_data: parallel training text; None downloads WMT en-fr.
      from_dev_data, to_dev_data: parallel dev text; None uses the training data.
      max_train_data_size: read at most this many training pairs (0: all).
      steps_per_checkpoint: steps between log line, checkpoint and eval.
      max_steps: stop once the global step reaches this (0: never stop, as the original).
      progress_bar: draw a progress bar on stderr when it is a terminal.
      normalize_digits: map digits to 0 in vocabularies and token ids (the original's way).
      distribution_strategy: "default" (the original's single device), "mirrored" or
        "multi_worker"; see `translate.train.distribute`.
      num_gpus: under a strategy, GPUs per machine (-1: all; 0: the CPU).
      devices: under "mirrored", the devices to mirror over instead of `num_gpus`.
      keep_checkpoints: how many recent checkpoints to keep (0: all; the original's Saver
        kept 5).
      nan_policy: "stop" or "skip-batch": what a NaN or infinite loss does (see
        `translate.train.nan_policy`).
      checkpoint_path: resume from this checkpoint instead of the latest of `train_dir`.
      tensorboard: also write TensorBoard summaries to `train_dir` at every checkpoint
        (see `translate.summaries`).
    """

    data_dir: str = "/tmp"
    train_dir: str = "/tmp"
    from_train_data: str | None = None
    to_train_data: str | None = None
    from_dev_data: str | None = None
    to_dev_data: str | None = None
    max_train_data_size: int = 0
    steps_per_checkpoint: int = 200
    max_steps: int = 0
    progress_bar: bool = True
    normalize_digits: bool = True
    distribution_strategy: str = "default"
    num_gpus: int = -1
    devices: tuple[str, ...] = ()
    keep_checkpoints: int = 5
    nan_policy: str = "stop"
    checkpoint_path: str | None = None
    tensorboard: bool = False


def prepare_token_ids(hparams: HParams, config: TrainConfig) -> tuple[str, str, str, str]:
    """Writes vocabularies and token-id files (the original's choice of corpus).

    Returns:
      Paths of the token ids of (source train, target train, source dev, target dev).
    """
    try:
        if config.from_train_data and config.to_train_data:
            from_dev, to_dev = config.from_train_data, config.to_train_data
            if config.from_dev_data and config.to_dev_data:
                from_dev, to_dev = config.from_dev_data, config.to_dev_data
            paths = data_utils.prepare_data(
                config.data_dir, config.from_train_data, config.to_train_data, from_dev, to_dev,
                hparams.from_vocab_size, hparams.to_vocab_size,
                normalize_digits=config.normalize_digits)
        else:
            print(f"Preparing WMT data in {config.data_dir}")
            paths = data_utils.prepare_wmt_data(
                config.data_dir, hparams.from_vocab_size, hparams.to_vocab_size)
    except tf.errors.OpError as e:
        # A file system error (full disk, not a directory, no permission): files already
        # complete are kept, the one being written is not left half-written.
        raise OSError(f"cannot prepare the vocabularies and token ids (--data_dir="
                      f"{config.data_dir}): {e.message}") from None
    return paths[0], paths[1], paths[2], paths[3]


def perplexity(loss: float) -> float:
    """exp(loss), or inf for a loss of 300 and more, as the original prints it."""
    return math.exp(float(loss)) if loss < 300 else float("inf")


def evaluate(model: Seq2SeqModel, dev_set: list[list[batching.Pair]]) -> dict[int, float]:
    """Prints the perplexity of one random dev batch per bucket (teacher forcing).

    Returns:
      bucket id -> the perplexity printed (buckets without dev data left out).
    """
    perplexities = {}
    for bucket_id in range(len(model.buckets)):
        if not dev_set[bucket_id]:
            print(f"  eval: empty bucket {bucket_id}")
            continue
        encoder_inputs, decoder_inputs, target_weights = model.get_batch(dev_set, bucket_id)
        _, eval_loss, _ = model.step(
            None, encoder_inputs, decoder_inputs, target_weights, bucket_id, True)
        perplexities[bucket_id] = perplexity(eval_loss)
        print(f"  eval: bucket {bucket_id} perplexity {perplexities[bucket_id]:.2f}")
    return perplexities


def should_decay(loss: float, previous_losses: list[float]) -> bool:
    """The original's rule: decay when the loss is above each of the last three intervals'."""
    return len(previous_losses) > 2 and loss > max(previous_losses[-3:])


def train(hparams: HParams, config: TrainConfig) -> Seq2SeqModel:
    """Trains until killed, or until the global step reaches `config.max_steps`.

    Args:
      hparams: the model's configuration.
      config: data, directories, checkpoint interval, stopping step.

    Returns:
      The trained model (only reached with `max_steps`).

    Raises:
      ValueError: no training pair fits any bucket, or bad token-id files.
      translate.checkpoints.CheckpointMismatchError: `train_dir` holds a checkpoint of
        another configuration.
      translate.checkpoints.CheckpointCorruptError: the checkpoint to resume from is damaged.
      translate.checkpoints.CheckpointWriteError: a checkpoint could not be written.
      translate.train.nan_policy.NonFiniteLossError: a loss or gradient norm was NaN or infinite.
    """
    if config.steps_per_checkpoint < 1:
        raise ValueError(f"steps_per_checkpoint must be at least 1, got "
                         f"{config.steps_per_checkpoint}")
    if config.keep_checkpoints < 0:
        raise ValueError(f"keep_checkpoints must be 0 (keep all) or more, got "
                         f"{config.keep_checkpoints}")
    # Before TensorFlow runs anything: a strategy may configure devices and the cluster.
    strategy = distribute.make_strategy(config.distribution_strategy, config.num_gpus,
                                        config.devices)
    distribute.check_global_batch(strategy, hparams.batch_size)
    from_train, to_train, from_dev, to_dev = prepare_token_ids(hparams, config)
    print(f"Creating {hparams.num_layers} layers of {hparams.size} units.")
    with distribute.scope(strategy):
        model = create_model(hparams, config.train_dir, forward_only=False,
                             checkpoint_path=config.checkpoint_path)
    guard = GuardedTrainer(model, config.nan_policy, config.train_dir, strategy)
    chief = guard.trainer.is_chief
    distribute.sync_workers(strategy, model)
    print(f"Reading development and training data (limit: {config.max_train_data_size}).")
    dev_set = read_token_ids(from_dev, to_dev, model)
    train_set = read_token_ids(from_train, to_train, model, config.max_train_data_size)
    try:
        scale = batching.bucket_scale(train_set)
    except ValueError as e:
        raise ValueError(f"{e} (read from {from_train} and {to_train}, buckets "
                         f"{model.buckets})") from None
    feed = None
    if strategy is not None:
        # Seeded with the global step, which the workers share, so that every worker draws
        # the same buckets and a resumed run does not repeat the draws of the first.
        seed = int(model.global_step.numpy())
        choose_bucket = datasets.BucketChooser(scale, seed)
        feed = datasets.DistributedBuckets(strategy, train_set, model.buckets,
                                           model.batch_size, model.dtype, seed=seed)
        print(f"Training on {strategy.num_replicas_in_sync} replicas "
              f"({config.distribution_strategy}).")
    sys.stdout.flush()
    summaries = None
    if config.tensorboard and chief:
        summaries = TrainingSummaries(
            config.train_dir, model, dev_set,
            *vocabulary_paths(config.data_dir, hparams.from_vocab_size, hparams.to_vocab_size))

    spc = config.steps_per_checkpoint
    progress = ProgressBar(spc, enabled=config.progress_bar)
    step_time, loss = 0.0, 0.0
    current_step = 0
    previous_losses: list[float] = []

    def reached_max_steps() -> bool:
        return bool(config.max_steps) and int(model.global_step.numpy()) >= config.max_steps

    if reached_max_steps():
        print(f"Global step {int(model.global_step.numpy())} has reached --max_steps="
              f"{config.max_steps}; nothing to train.")
    while not reached_max_steps():
        if feed is None:
            bucket_id = batching.choose_bucket(scale)
            start_time = time.time()
            encoder_inputs, decoder_inputs, target_weights = model.get_batch(
                train_set, bucket_id)
            step_loss = guard.step(encoder_inputs, decoder_inputs, target_weights, bucket_id)
            if step_loss is not None and summaries is not None:
                summaries.add_batch(encoder_inputs, target_weights)
        else:
            bucket_id = choose_bucket()
            start_time = time.time()
            step_loss = guard.train_step(bucket_id, *feed.next(bucket_id))
        if step_loss is None:  # Skipped under --nan_policy=skip-batch.
            continue
        step_time += (time.time() - start_time) / spc
        loss += step_loss / spc
        current_step += 1
        done = (current_step - 1) % spc + 1
        progress.update(done, loss * spc / done)
        if done == spc or reached_max_steps():
            progress.clear()
            # A last, shorter interval (max_steps) is averaged over its own length.
            scale_to_interval = spc / done
            _checkpoint(model, loss * scale_to_interval, step_time * scale_to_interval,
                        previous_losses, dev_set, config, guard,
                        chief=chief, summaries=summaries)
            step_time, loss = 0.0, 0.0
            progress.restart()
    if summaries is not None:
        summaries.close()
    return model


def _checkpoint(model: Seq2SeqModel, loss: float, step_time: float,
                previous_losses: list[float], dev_set: list[list[batching.Pair]],
                config: TrainConfig, guard: GuardedTrainer, chief: bool = True,
                summaries: TrainingSummaries | None = None) -> None:
    learning_rate = float(model.learning_rate.numpy())
    print(f"global step {int(model.global_step.numpy())} learning rate "
          f"{float(model.learning_rate.numpy()):.4f} step-time {step_time:.2f} perplexity "
          f"{perplexity(loss):.2f}")
    if should_decay(loss, previous_losses):
        model.decay_learning_rate()
    previous_losses.append(loss)
    # In a cluster only the chief writes; every worker holds the same values.
    if chief:
        guard.check_parameters()
        checkpoints.save_checkpoint(
            model.variables_by_name,
            f"{checkpoint_prefix(config.train_dir)}-{int(model.global_step.numpy())}",
            max_to_keep=config.keep_checkpoints)
    eval_perplexities = evaluate(model, dev_set)
    if summaries is not None:
        summaries.write_checkpoint(learning_rate, step_time, loss, perplexity(loss),
                                   eval_perplexities)
    sys.stdout.flush()
