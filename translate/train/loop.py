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

Every run writes `<train_dir>/settings.json` (`translate.settings`), so decoding needs no size
flags. Opt-in, beyond the original (the defaults change nothing):

* `hparams.vocabulary == "subword"`: SentencePiece models and token ids are made in
  `data_dir` (`data_utils.subwords.prepare_subword_data`), and the models copied into
  `train_dir`, where decoding looks first; a resumed run reuses them.
* a learning-rate schedule other than "original" (`translate.train.schedules`) sets the rate
  before every step, and the original's decay rule is off;
* `max_train_minutes`: a wall-clock budget counted from the first step (after data
  preparation); when it is used up, training ends with a checkpoint (and a validation);
* `steps_per_validation`, `early_stopping`, `average_checkpoints`, `restore_best`: dev BLEU,
  `best/`, early stopping and checkpoint averaging (`translate.train.validation`);
* `batch_tokens`: batches sized in tokens (`translate.batching.token_batch_sizes`);
* `batch_by_length`: batches of similar target lengths, their padding cut
  (`translate.batching.LengthSortedBatches`).

With a schedule, `max_train_minutes`, validation, `batch_tokens` or `batch_by_length`, the log
line gains the learning rate in use with more digits, tokens/s (single device), the last dev
BLEU and the minutes left of the budget (the progress bar shows them too):
    global step N learning rate R step-time T perplexity P tokens/s S dev BLEU B left M min
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time

import tensorflow as tf

import data_utils
from data_utils import subwords
from translate import batching, checkpoints, datasets
from translate.hparams import HParams
from translate.infer.codec import Codec, load_codec
from translate.infer.runtime import read_sentences
from translate.model_setup import create_model, read_token_ids
from translate.models import TranslationModel
from translate.seq2seq_model import Seq2SeqModel, checkpoint_prefix
from translate.settings import save_settings
from translate.summaries import TrainingSummaries, batch_tokens
from translate.train import distribute, schedules, validation
from translate.train.nan_policy import GuardedTrainer
from translate.train.progress import ProgressBar, progress_fields


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
      max_train_minutes: stop once this many minutes of training have passed, with a final
        checkpoint (0: no limit).
      steps_per_validation: translate and score the dev files every this many global steps,
        keeping the best parameters in `<train_dir>/best/` (0: never); needs the dev files.
      early_stopping: stop after this many validations without a better dev BLEU (0: never).
      average_checkpoints: at the end, average the last this many checkpoints into
        `<train_dir>/averaged/` (0: no averaging).
      restore_best: at the end, save the best parameters as the final checkpoint of
        `train_dir` (see `translate.train.validation`).
      batch_tokens: size batches in target positions instead of `batch_size` pairs (0: off).
      batch_by_length: draw each batch from pairs of similar target length and cut the
        padding after the longest target (`translate.batching.LengthSortedBatches`).
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
    max_train_minutes: float = 0.0
    steps_per_validation: int = 0
    early_stopping: int = 0
    average_checkpoints: int = 0
    restore_best: bool = False
    batch_tokens: int = 0
    batch_by_length: bool = False

    def check(self) -> None:
        """Checks the values and their combinations.

        Raises:
          ValueError: naming the first bad value or combination and the fix.
        """
        if self.steps_per_checkpoint < 1:
            raise ValueError(f"steps_per_checkpoint must be at least 1, got "
                             f"{self.steps_per_checkpoint}")
        if self.keep_checkpoints < 0:
            raise ValueError(f"keep_checkpoints must be 0 (keep all) or more, got "
                             f"{self.keep_checkpoints}")
        for name in ("max_train_minutes", "steps_per_validation", "early_stopping",
                     "average_checkpoints", "batch_tokens"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must be 0 (off) or more, got "
                                 f"{getattr(self, name)}")
        if not self.steps_per_validation:
            for name in ("early_stopping", "restore_best"):
                if getattr(self, name):
                    raise ValueError(f"--{name} needs validation: pass --steps_per_validation")
        elif not (self.from_dev_data and self.to_dev_data):
            raise ValueError("--steps_per_validation needs the dev text: pass --from_dev_data "
                             "and --to_dev_data")
        if 0 < self.keep_checkpoints < self.average_checkpoints:
            raise ValueError(f"--average_checkpoints={self.average_checkpoints} needs that many "
                             f"checkpoints, but --keep_checkpoints={self.keep_checkpoints} keeps "
                             "fewer: raise --keep_checkpoints")
        if self.distribution_strategy != "default":
            for name in ("steps_per_validation", "batch_tokens", "batch_by_length",
                         "max_train_minutes"):
                if getattr(self, name):
                    raise ValueError(f"--{name} works with --distribution_strategy=default "
                                     f"only, not {self.distribution_strategy}")

    @property
    def reports_more(self) -> bool:
        """Whether an opt-in feature is on that adds fields to the log line."""
        return bool(self.max_train_minutes or self.steps_per_validation or self.batch_tokens
                    or self.batch_by_length)


def prepare_token_ids(hparams: HParams, config: TrainConfig) -> tuple[str, str, str, str]:
    """Writes vocabularies and token-id files (the original's choice of corpus).

    With subword vocabularies, SentencePiece models and token ids go to `data_dir`; when
    `train_dir` already holds the models of a run being resumed, those are used.

    Returns:
      Paths of the token ids of (source train, target train, source dev, target dev).

    Raises:
      ValueError: subword vocabularies without training files, or a bad corpus.
      FileNotFoundError: a corpus file does not exist.
      OSError: a file cannot be written.
    """
    subword = hparams.vocabulary == "subword"
    if subword and not (config.from_train_data and config.to_train_data):
        raise ValueError("subword vocabularies are learnt from --from_train_data and "
                         "--to_train_data: pass both (the WMT download has word vocabularies "
                         "only)")
    try:
        if config.from_train_data and config.to_train_data:
            from_dev, to_dev = config.from_train_data, config.to_train_data
            if config.from_dev_data and config.to_dev_data:
                from_dev, to_dev = config.from_dev_data, config.to_dev_data
            if subword:
                sizes = (hparams.from_vocab_size, hparams.to_vocab_size)
                if all(tf.io.gfile.exists(subwords.subword_model_path(config.train_dir, size,
                                                                      side))
                       for size, side in zip(sizes, ("from", "to"))):
                    # Resuming: the checkpoints' ids are those of train_dir's models.
                    subwords.copy_subword_models(config.train_dir, config.data_dir, *sizes)
                paths = subwords.prepare_subword_data(
                    config.data_dir, config.from_train_data, config.to_train_data, from_dev,
                    to_dev, *sizes)
                return paths[0], paths[1], paths[2], paths[3]
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
    """Trains until killed, or until `config.max_steps`, its time budget or early stopping.

    Args:
      hparams: the model's configuration.
      config: data, directories, checkpoint interval, stopping rules, validation.

    Returns:
      The trained model (only reached when a stopping rule is set).

    Raises:
      ValueError: a bad configuration, no training pair fits any bucket, or bad token-id
        files.
      translate.checkpoints.CheckpointMismatchError: `train_dir` holds a checkpoint of
        another configuration.
      translate.checkpoints.CheckpointCorruptError: the checkpoint to resume from is damaged.
      translate.checkpoints.CheckpointWriteError: a checkpoint could not be written.
      translate.train.nan_policy.NonFiniteLossError: a loss or gradient norm was NaN or infinite.
    """
    config.check()
    # Before TensorFlow runs anything: a strategy may configure devices and the cluster.
    strategy = distribute.make_strategy(config.distribution_strategy, config.num_gpus,
                                        config.devices)
    distribute.check_global_batch(strategy, hparams.batch_size)
    prepare_start = time.time()
    from_train, to_train, from_dev, to_dev = prepare_token_ids(hparams, config)
    print(f"Creating {hparams.num_layers} layers of {hparams.size} units.")
    with distribute.scope(strategy):
        model = create_model(hparams, config.train_dir, forward_only=False,
                             checkpoint_path=config.checkpoint_path)
    guard = GuardedTrainer(model, config.nan_policy, config.train_dir, strategy)
    chief = guard.trainer.is_chief
    if chief:
        save_settings(config.train_dir, hparams, config.normalize_digits)
        if hparams.vocabulary == "subword":
            subwords.copy_subword_models(config.data_dir, config.train_dir,
                                         hparams.from_vocab_size, hparams.to_vocab_size)
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
    codec = None
    if (config.tensorboard and chief) or config.steps_per_validation:
        codec = load_codec(hparams, config.data_dir, config.train_dir, config.normalize_digits)
    summaries = None
    if config.tensorboard and chief:
        summaries = TrainingSummaries(config.train_dir, model, dev_set, codec)
    validating = _Validating(model, codec, hparams, config, summaries) if (
        config.steps_per_validation) else None
    batch_sizes = (batching.token_batch_sizes(config.batch_tokens, model.buckets)
                   if config.batch_tokens else None)
    by_length = batching.LengthSortedBatches(train_set) if config.batch_by_length else None
    if config.max_train_minutes:
        print(f"Preparing the data and the model took {time.time() - prepare_start:.1f} s; "
              f"training for at most {config.max_train_minutes:g} minutes.")
    sys.stdout.flush()

    spc = config.steps_per_checkpoint
    progress = ProgressBar(spc, enabled=config.progress_bar)
    scheduled = hparams.learning_rate_schedule != "original"
    reports_more = config.reports_more or scheduled
    count_tokens = reports_more and feed is None
    step_time, loss, tokens = 0.0, 0.0, 0
    current_step = 0
    previous_losses: list[float] = []
    budget = config.max_train_minutes * 60
    loop_start = time.time()

    def global_step() -> int:
        return int(model.global_step.numpy())

    def reached_max_steps() -> bool:
        return bool(config.max_steps) and global_step() >= config.max_steps

    def seconds_left() -> float | None:
        return budget - (time.time() - loop_start) if budget else None

    def budget_used() -> float | None:
        used = [global_step() / config.max_steps] if config.max_steps else []
        if budget:
            used.append((time.time() - loop_start) / budget)
        return max(used) if used else None

    def fields(interval_tokens: int, interval_seconds: float) -> str:
        return progress_fields(
            interval_tokens / interval_seconds if count_tokens and interval_seconds > 0
            else None, validating.last_bleu if validating else None, seconds_left())

    if reached_max_steps():
        print(f"Global step {global_step()} has reached --max_steps="
              f"{config.max_steps}; nothing to train.")
    while not reached_max_steps():
        if scheduled:
            rate = schedules.learning_rate(hparams, global_step(), budget_used())
            if rate is not None:
                model.learning_rate.assign(rate)
        if feed is None:
            bucket_id = batching.choose_bucket(scale)
            start_time = time.time()
            # The original's two-argument call unless an opt-in batching is on (code that
            # overrides get_batch with the original's signature keeps working).
            if by_length is not None:
                batch = by_length.get_batch(bucket_id, model.buckets, batch_sizes[bucket_id]
                                            if batch_sizes else model.batch_size)
            elif batch_sizes:
                batch = model.get_batch(train_set, bucket_id, batch_sizes[bucket_id])
            else:
                batch = model.get_batch(train_set, bucket_id)
            step_loss = guard.step(*batch, bucket_id)
            if step_loss is not None and (summaries is not None or count_tokens):
                batch_size_tokens = batch_tokens(batch[0], batch[2])
                tokens += batch_size_tokens
                if summaries is not None:
                    summaries.add_tokens(batch_size_tokens)
        else:
            bucket_id = choose_bucket()
            start_time = time.time()
            step_loss = guard.train_step(bucket_id, *feed.next(bucket_id))
        if step_loss is None:  # Skipped: --nan_policy=skip-batch, or float16 overflowed.
            continue
        step_time += (time.time() - start_time) / spc
        loss += step_loss / spc
        current_step += 1
        done = (current_step - 1) % spc + 1
        if progress.enabled:
            progress.update(done, loss * spc / done,
                            fields(tokens, step_time * spc) if reports_more else "")
        out_of_time = bool(budget) and time.time() - loop_start >= budget
        stopping = reached_max_steps() or out_of_time
        checkpointed = done == spc or stopping
        if checkpointed:
            progress.clear()
            # A last, shorter interval (max_steps) is averaged over its own length.
            scale_to_interval = spc / done
            _checkpoint(model, loss * scale_to_interval, step_time * scale_to_interval,
                        previous_losses, dev_set, config, guard, chief=chief,
                        summaries=summaries, decay=not scheduled,
                        extra=fields(tokens, step_time * spc) if reports_more else "")
            step_time, loss, tokens = 0.0, 0.0, 0
            progress.restart()
        if validating is not None and (global_step() % config.steps_per_validation == 0
                                       or stopping):
            progress.clear()
            validating.validate()
            if validating.tracker.should_stop:
                print(f"Early stopping: no better dev BLEU in the last {config.early_stopping} "
                      f"validations.")
                if not checkpointed:
                    _checkpoint(model, loss * spc / done, step_time * spc / done,
                                previous_losses, dev_set, config, guard, chief=chief,
                                summaries=summaries, decay=False,
                                extra=fields(tokens, step_time * spc) if reports_more else "")
                stopping = True
        if out_of_time:
            print(f"The training budget of {config.max_train_minutes:g} minutes is used up.")
        if stopping:
            break
    if chief and config.average_checkpoints:
        _average_checkpoints(model, hparams, config, validating)
    if validating is not None:
        validating.finish()
    if summaries is not None:
        summaries.close()
    sys.stdout.flush()
    return model


class _Validating:
    """The validations of one training run: scores, `best/`, the log lines."""

    def __init__(self, model: TranslationModel, codec: Codec, hparams: HParams,
                 config: TrainConfig, summaries: TrainingSummaries | None):
        self.model, self.hparams, self.config, self.summaries = model, hparams, config, summaries
        self.best_dir = os.path.join(config.train_dir, validation.BEST_DIR)
        self.validator = validation.Validator(
            model, codec, read_sentences(config.from_dev_data),
            read_sentences(config.to_dev_data), hparams.batch_size)
        self.tracker = validation.BestTracker(config.early_stopping)
        record = validation.read_best_record(self.best_dir)
        if record is not None and checkpoints.latest_checkpoint(self.best_dir):
            # A resumed run: the new parameters must beat the best of the earlier runs.
            self.tracker.best_score, self.tracker.best_step = record["bleu"], record["step"]
        self.last_bleu: float | None = None
        self.best_is_current = False

    def validate(self, what: str = "") -> bool:
        """Scores the model's current parameters; saves them as `best/` when they are.

        Args:
          what: words after the score naming what was validated (e.g. "(averaged)").

        Returns:
          Whether they are the best so far.
        """
        step = int(self.model.global_step.numpy())
        score = self.validator.score()
        self.last_bleu = score.bleu
        improved = self.tracker.record(step, score.bleu)
        note = f"; best so far, saved in {self.best_dir}" if improved else ""
        print(f"  dev BLEU {score.bleu:.2f} chrF {score.chrf:.2f}{what} ({score.signature})"
              f"{note}")
        if improved:
            validation.save_model_dir(self.best_dir, self.model.variables_by_name, step,
                                      self.hparams, self.config.normalize_digits,
                                      models_from=self.config.train_dir)
            validation.write_best_record(self.best_dir, score.bleu, step, score.signature)
        self.best_is_current = improved or (self.best_is_current
                                             and step == self.tracker.best_step)
        if self.summaries is not None:
            self.summaries.write_validation(score.bleu, score.chrf)
        sys.stdout.flush()
        return improved

    def finish(self) -> None:
        """Says where the best parameters are; with `restore_best`, makes them the final
        checkpoint of `train_dir`."""
        best = checkpoints.latest_checkpoint(self.best_dir)
        if best is None:
            return
        train_dir = self.config.train_dir
        line = (f"Best dev BLEU {self.tracker.best_score:.2f} at global step "
                f"{self.tracker.best_step}: {best}")
        if not self.config.restore_best:
            print(f"{line} (decode it with --train_dir {self.best_dir}; {train_dir} keeps the "
                  "last parameters).")
            return
        final = checkpoints.latest_checkpoint(train_dir)
        if not self.best_is_current:
            variables = self.model.variables_by_name
            # The run's step count and rate stay; the parameters (and optimizer slots) are
            # the best ones.
            kept = (self.model.global_step.numpy(), self.model.learning_rate.numpy())
            checkpoints.restore_checkpoint(variables, best)
            self.model.global_step.assign(kept[0])
            self.model.learning_rate.assign(kept[1])
            final = checkpoints.save_checkpoint(
                variables, f"{checkpoint_prefix(train_dir)}-{int(kept[0])}",
                max_to_keep=self.config.keep_checkpoints)
        print(f"{line}; the final checkpoint {final} holds them (--restore_best), so "
              f"--decode --train_dir {train_dir} uses them.")


def _average_checkpoints(model: TranslationModel, hparams: HParams, config: TrainConfig,
                         validating: _Validating | None) -> None:
    """Writes `<train_dir>/averaged/` (the mean of the last checkpoints) and validates it."""
    state = tf.train.get_checkpoint_state(config.train_dir)
    prefixes = list(state.all_model_checkpoint_paths)[-config.average_checkpoints:] if (
        state) else []
    if len(prefixes) < 2:
        print(f"Not averaging: {config.train_dir} lists {len(prefixes)} checkpoint(s), "
              "averaging needs 2 or more.")
        return
    variables = model.variables_by_name
    # Averaged parameters only; the optimizer's slots, rate and step stay the latest's (the
    # model holds the latest checkpoint now).
    names = [name for name, variable in variables.items() if variable.trainable]
    kept = {name: variables[name].numpy() for name in names}
    for name, value in validation.average_tensors(prefixes, names).items():
        variables[name].assign(value)
    step = int(model.global_step.numpy())
    prefix = validation.save_model_dir(
        os.path.join(config.train_dir, validation.AVERAGED_DIR), variables, step, hparams,
        config.normalize_digits, models_from=config.train_dir)
    print(f"Averaged the last {len(prefixes)} checkpoints "
          f"({', '.join(os.path.basename(p) for p in prefixes)}) into {prefix}.")
    if validating is not None:
        last_was_best = validating.best_is_current
        averaged_is_best = validating.validate(" (averaged)")
        # The model gets its last parameters back: they are the best only if they were.
        validating.best_is_current = last_was_best and not averaged_is_best
    for name, value in kept.items():
        variables[name].assign(value)


def _checkpoint(model: Seq2SeqModel, loss: float, step_time: float,
                previous_losses: list[float], dev_set: list[list[batching.Pair]],
                config: TrainConfig, guard: GuardedTrainer, chief: bool = True,
                summaries: TrainingSummaries | None = None, decay: bool = True,
                extra: str = "") -> None:
    learning_rate = float(model.learning_rate.numpy())
    # The original's format, unless opt-in fields follow (a schedule's small rates need
    # more than 4 decimals).
    rate = f"{learning_rate:.4g}" if extra else f"{learning_rate:.4f}"
    print(f"global step {int(model.global_step.numpy())} learning rate {rate} step-time "
          f"{step_time:.2f} perplexity {perplexity(loss):.2f}" + (f" {extra}" if extra else ""))
    if decay and should_decay(loss, previous_losses):
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
