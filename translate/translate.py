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
    from translate.infer import runtime

    if runtime.wants_exported_model(sys.argv):
        # No TensorFlow: an exported model runs with its runtime alone.
        sys.exit(runtime.main(sys.argv[1:]))
    runtime_env.configure(sys.argv)

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from translate import checkpoints, model_setup, models, recipes, settings  # noqa: E402
from translate.batching import read_data as _read_data  # noqa: E402
from translate.hparams import (  # noqa: E402
    BUCKETS,
    MIXED_PRECISION_CHOICES,
    OPTIMIZERS,
    SCHEDULES,
    VOCABULARIES,
    HParams,
)
from translate.infer import evaluation, export, modes, runtime  # noqa: E402
from translate.infer.batch import BatchTranslator  # noqa: E402
from translate.infer.codec import Codec, load_codec  # noqa: E402
from translate.models import TranslationModel  # noqa: E402
from translate.seq2seq_model import Seq2SeqModel  # noqa: E402
from translate.train import loop  # noqa: E402
from translate.train.distribute import STRATEGIES  # noqa: E402
from translate.train.nan_policy import POLICIES as NAN_POLICIES  # noqa: E402

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
flags.DEFINE_enum("mixed_precision", "float32", list(MIXED_PRECISION_CHOICES),
                  "Compute dtype of training: bfloat16 computes the training steps in bfloat16 "
                  "with float32 variables (faster on CPUs with AVX512-BF16 or AMX); float16 "
                  "likewise with a dynamic loss scale, for GPUs (on a CPU TensorFlow's float16 "
                  "kernels are about 100x slower); not with --use_fp16.")
# Beyond the original; the defaults keep its behaviour.
flags.DEFINE_enum("xla_decode", "auto", ["auto", "on", "off"],
                  "Compile greedy decoding with XLA (the same outputs): auto uses it for models "
                  "small enough to gain from it; off where XLA is not available.")
flags.DEFINE_boolean("use_lstm", False, "Use LSTM cells instead of GRU cells.")
flags.DEFINE_enum("model", models.DEFAULT_MODEL, list(models.MODELS),
                  "The model, from the registry of translate/models (attention_seq2seq, the "
                  "default, is the original). Decode with the --model a checkpoint was "
                  "trained with.")
# The modern recipe (translate/recipes.py) and its settings; the defaults are the original's.
flags.DEFINE_enum("recipe", "original", list(recipes.RECIPES),
                  "A set of defaults for the flags below: original (the tutorial's) or modern "
                  "(subwords, Adam, dropout, validation: docs/real_data.md). Flags given "
                  "explicitly override the recipe.")
flags.DEFINE_enum("optimizer", "sgd", list(OPTIMIZERS), "sgd (the original), adagrad or adam.")
flags.DEFINE_enum("learning_rate_schedule", "original", list(SCHEDULES),
                  "original (decay by --learning_rate_decay_factor when the loss stops "
                  "falling), constant, rsqrt (warm-up, then 1/sqrt(step)) or linear (warm-up, "
                  "then down to 0 at --max_steps or --max_train_minutes).")
flags.DEFINE_integer("warmup_steps", 0, "Steps of linear learning-rate warm-up (not with the "
                     "original schedule).")
flags.DEFINE_float("dropout", 0.0, "Drop each RNN layer's inputs and outputs with this "
                   "probability while training (0: none).")
flags.DEFINE_float("label_smoothing", 0.0, "Label smoothing of the training loss (0: none; "
                   "needs --num_samples=0).")
flags.DEFINE_boolean("bidirectional_encoder", False, "Read the source in both directions.")
flags.DEFINE_enum("vocabulary", "word", list(VOCABULARIES),
                  "word (the original's vocabularies and tokenizer) or subword "
                  "(SentencePiece models of --from_vocab_size/--to_vocab_size pieces, learnt "
                  "from the training data; detokenized output).")
flags.DEFINE_boolean("output_projection", False,
                     "With --num_samples=0, still project the decoder's --size outputs to the "
                     "vocabulary (proj_w/proj_b) instead of the original's vocabulary-sized "
                     "cell output: much faster with a large vocabulary.")
flags.DEFINE_boolean("share_decoder_embeddings", False,
                     "Use the decoder's input embedding as the output projection (one "
                     "[to_vocab_size, size] matrix instead of two); needs --output_projection "
                     "or sampled softmax.")
flags.DEFINE_integer("num_samples", 512, "Sampled-softmax samples; 0 (or at least "
                     "--to_vocab_size) trains with the full softmax.")
flags.DEFINE_integer("max_steps", 0, "Stop training at this global step (0: never stop).")
flags.DEFINE_boolean("normalize_digits", True,
                     "Map every digit to 0 before looking words up, as the original always "
                     "does; --nonormalize_digits keeps numbers (train and decode alike).")
flags.DEFINE_boolean("progress_bar", True,
                     "Show a progress bar between checkpoints (when stderr is a terminal).")
flags.DEFINE_enum("distribution_strategy", "default", list(STRATEGIES),
                  "Train with tf.distribute: default (one device, as the original), mirrored "
                  "(the GPUs of this machine) or multi_worker (a cluster; reads TF_CONFIG). "
                  "--batch_size is the global batch, split evenly across the replicas.")
flags.DEFINE_integer("num_gpus", -1,
                     "GPUs per machine under --distribution_strategy=mirrored/multi_worker "
                     "(-1: all of them, or the CPU when there is none; 0: the CPU).")
flags.DEFINE_list("devices", [],
                  "Devices to mirror over instead of --num_gpus (mirrored only), e.g. "
                  "/gpu:0,/gpu:1; /cpu:0,/cpu:1 splits the CPU in two (for testing).")
flags.DEFINE_integer("keep_checkpoints", 5,
                     "How many recent checkpoints to keep (0: all; the original kept 5).")
flags.DEFINE_enum("nan_policy", "stop", list(NAN_POLICIES),
                  "When a training loss or gradient norm is NaN or infinite: stop (naming the "
                  "step and bucket; the latest checkpoint stays the last good one) or "
                  "skip-batch (drop that batch's update and go on).")
flags.DEFINE_string("checkpoint_path", None,
                    "Restore this checkpoint (e.g. train/translate.ckpt-400) instead of the "
                    "latest of --train_dir, for --decode or to resume training from it.")
# Opt-in decoding, evaluation, export (translate/infer/) and summaries (summaries.py).
flags.DEFINE_integer("beam_size", None,
                     "Decode (--decode, --eval, --export_dir) by beam search keeping this many "
                     "hypotheses; unset: the model's settings.json (4 after --recipe modern), "
                     "else the original's greedy decode (1: the same, through the while-loop "
                     "search). When training, recorded as the model's decoding default.")
flags.DEFINE_integer("nbest", None,
                     "With --decode --beam_size: print this many translations per sentence, "
                     "best first, as '<rank>\\t<log-probability>\\t<translation>' lines.")
flags.DEFINE_string("input_file", None,
                    "With --decode: translate this file (one sentence per line) in batches of "
                    "--batch_size grouped by bucket, instead of standard input.")
flags.DEFINE_string("output_file", None,
                    "With --input_file: write the translations here, one line per input line "
                    "(--nbest N: N lines each).")
flags.DEFINE_string("attention_plot", None,
                    "With --decode: draw the attention heatmap of each line read to this PNG "
                    "file (line i > 1: <stem>-i.png); needs matplotlib.")
flags.DEFINE_boolean("replace_unk", False,
                     "With --decode or --eval and word vocabularies: replace each _UNK of an "
                     "output by the source word the attention weighted most (Luong et al. "
                     "2015), as written in the source line.")
flags.DEFINE_boolean("eval", False,
                     "Translate --eval_source and print BLEU and chrF (sacrebleu) against "
                     "--eval_reference, and the decoding speed.")
flags.DEFINE_string("eval_source", None, "Source sentences for --eval (default: "
                    "--from_dev_data).")
flags.DEFINE_string("eval_reference", None, "Reference translations for --eval (default: "
                    "--to_dev_data).")
flags.DEFINE_string("export_dir", None,
                    "Write the model with its decoding (greedy, or --beam_size) to this new "
                    "directory, in --export_format.")
flags.DEFINE_enum("export_format", "savedmodel", ["savedmodel", "tflite", "onnx"],
                  "With --export_dir: savedmodel (strings in and out, TensorFlow only), "
                  "tflite (<dir>/model.tflite, LiteRT builtin ops) or onnx (<dir>/model.onnx); "
                  "the last two take token ids, run by --exported_model.")
flags.DEFINE_string("exported_model", None,
                    "With --decode: translate with this export (a SavedModel directory, or a "
                    ".tflite or .onnx file beside its translate.json) through its runtime "
                    "alone, from standard input or --input_file to --output_file.")
flags.DEFINE_boolean("tensorboard", False,
                     "While training, write TensorBoard summaries to --train_dir: loss, "
                     "perplexities, learning rate, step time, tokens/s, an attention image.")
# Training beyond the original (translate/train/loop.py, validation.py); 0/False: off.
flags.DEFINE_float("max_train_minutes", 0,
                   "Stop training after this many minutes (wall clock, from the first step), "
                   "with a final checkpoint (and validation); 0: no limit.")
flags.DEFINE_integer("steps_per_validation", 0,
                     "Every this many global steps, translate --from_dev_data greedily, print "
                     "its sacreBLEU against --to_dev_data and keep the best parameters in "
                     "<train_dir>/best (which --train_dir <train_dir>/best decodes); 0: never.")
flags.DEFINE_integer("early_stopping", 0,
                     "Stop after this many validations in a row without a better dev BLEU "
                     "(0: never).")
flags.DEFINE_integer("average_checkpoints", 0,
                     "At the end of training, average the last this many checkpoints into "
                     "<train_dir>/averaged (validated; it becomes best/ if better); 0: off.")
flags.DEFINE_boolean("restore_best", False,
                     "At the end of training with validation, save the best parameters as the "
                     "final checkpoint of --train_dir, so that a plain --decode uses them "
                     "(default: --train_dir keeps the last ones, as the original).")
flags.DEFINE_integer("batch_tokens", 0,
                     "Size training batches in tokens: a batch of a bucket holds this many "
                     "target positions (padding included) instead of --batch_size pairs; 0: "
                     "off.")
flags.DEFINE_boolean("batch_by_length", False,
                     "Draw each training batch from pairs of similar target length and cut the "
                     "padding after its longest target (fewer decoder steps; the original draws "
                     "pairs at random).")

FLAGS = flags.FLAGS

# We use a number of buckets and pad to the closest one for efficiency.
_buckets = [tuple(b) for b in BUCKETS]


def hparams_from_flags() -> HParams:
    """The model configuration: the flags given explicitly, else the settings of the
    checkpoint to restore, else the flags' values (see `settings_from_flags`).

    Returns:
      The configuration.

    Raises:
      ValueError: a flag given explicitly contradicts the checkpoint's settings.
    """
    return settings_from_flags()[0]


def settings_from_flags() -> tuple[HParams, bool]:
    """(hparams, normalize_digits) of this run (`translate.settings.resolve_settings`).

    A trained model's settings.json (or, for a checkpoint without one, its variables) fill
    every setting the user did not give, so decoding needs no size flags; without a
    checkpoint the flags (or --recipe) decide, as in the original.

    Returns:
      (hparams, normalize_digits).

    Raises:
      ValueError: a flag given explicitly contradicts the checkpoint's settings, or its
        settings.json is damaged.
    """
    names = [name for name in (*settings.FIELDS, "normalize_digits") if name in FLAGS]
    return settings.resolve_settings(
        {name: FLAGS[name].value for name in names},
        {name for name in names if FLAGS[name].present},
        FLAGS.train_dir, FLAGS.checkpoint_path)


def read_data(source_path: str, target_path: str, max_size: int | None = None) -> list:
    """The original's `read_data`: token-id pairs per bucket of `_buckets`.

    See `translate.batching.read_data` for Args, Returns and Raises.
    """
    return _read_data(source_path, target_path, _buckets, max_size)


def create_model(session: object, forward_only: bool) -> TranslationModel:
    """The original's `create_model`: the model of the flags, restored from --train_dir.

    Args:
      session: ignored (no Session in TF 2); kept for the original's signature.
      forward_only: build for decoding.

    Returns:
      The model.
    """
    del session
    return model_setup.create_model(hparams_from_flags(), FLAGS.train_dir, forward_only,
                                    checkpoint_path=FLAGS.checkpoint_path)


def train() -> None:
    """Trains on --from_train_data/--to_train_data (or WMT), checkpointing to --train_dir."""
    # A resumed run keeps the settings (digits included) it was started with.
    hparams, normalize_digits = settings_from_flags()
    config = loop.TrainConfig(
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
        normalize_digits=normalize_digits,
        distribution_strategy=FLAGS.distribution_strategy,
        num_gpus=FLAGS.num_gpus,
        devices=tuple(FLAGS.devices),
        keep_checkpoints=FLAGS.keep_checkpoints,
        nan_policy=FLAGS.nan_policy,
        checkpoint_path=FLAGS.checkpoint_path,
        tensorboard=FLAGS.tensorboard,
        max_train_minutes=FLAGS.max_train_minutes,
        steps_per_validation=FLAGS.steps_per_validation,
        early_stopping=FLAGS.early_stopping,
        average_checkpoints=FLAGS.average_checkpoints,
        restore_best=FLAGS.restore_best,
        batch_tokens=FLAGS.batch_tokens,
        batch_by_length=FLAGS.batch_by_length,
    )
    loop.train(hparams, config)


def _model_dir() -> str:
    """The directory of the checkpoint to restore (its settings and subword models)."""
    if FLAGS.checkpoint_path:
        return os.path.dirname(FLAGS.checkpoint_path) or "."
    return FLAGS.train_dir


def load_for_decoding() -> tuple[TranslationModel, Codec, int | None]:
    """The forward-only model of the flags, restored, its vocabularies and beam size.

    Returns:
      (model, codec: source lines to ids and output ids to text, `translate.infer.codec`,
      beam size: --beam_size, else the model's settings', else None for greedy decoding).

    Raises:
      FileNotFoundError: a vocabulary file or subword model is missing.
      ValueError: a vocabulary does not fit the model.
    """
    hparams, normalize_digits = settings_from_flags()
    model = model_setup.create_model(hparams, FLAGS.train_dir, True,
                                     checkpoint_path=FLAGS.checkpoint_path)
    if not FLAGS.checkpoint_path and checkpoints.latest_checkpoint(FLAGS.train_dir) is None:
        print(f"Warning: no checkpoint in --train_dir={FLAGS.train_dir}; translating with "
              "untrained random parameters.", file=sys.stderr)
    codec = load_codec(hparams, FLAGS.data_dir, _model_dir(), normalize_digits)
    return model, codec, hparams.beam_size


def decode() -> None:
    """Translates stdin line by line with the latest checkpoint of --train_dir (or a file,
    with the opt-in flags of `translate.infer.modes`)."""
    model, codec, beam_size = load_for_decoding()
    options = modes.DecodeOptions(
        beam_size=beam_size, nbest=FLAGS.nbest, batch_size=FLAGS.batch_size,
        input_file=FLAGS.input_file, output_file=FLAGS.output_file,
        attention_plot=FLAGS.attention_plot, replace_unk=FLAGS.replace_unk)
    options.validate()
    modes.run_decode(model, codec, options)


def evaluate() -> None:
    """--eval: BLEU, chrF and decoding speed on --eval_source/--eval_reference (default: the
    dev files)."""
    source = FLAGS.eval_source or FLAGS.from_dev_data
    reference = FLAGS.eval_reference or FLAGS.to_dev_data
    if not (source and reference):
        raise ValueError("--eval needs --eval_source and --eval_reference (or "
                         "--from_dev_data and --to_dev_data)")
    model, codec, beam_size = load_for_decoding()
    translator = BatchTranslator(model, codec, beam_size=beam_size,
                                 batch_size=FLAGS.batch_size, replace_unk=FLAGS.replace_unk)
    print(evaluation.evaluate_files(translator, source, reference).summary())


_FORMAT_NAMES = {"savedmodel": "SavedModel", "tflite": "TFLite model", "onnx": "ONNX model"}


def export_model() -> None:
    """--export_dir: writes the model in --export_format (`translate.infer.export`)."""
    model, codec, beam_size = load_for_decoding()
    beam_size = beam_size or 1
    export.export_model(model, codec, FLAGS.export_dir, FLAGS.export_format,
                        beam_size=beam_size)
    method = "greedy" if beam_size == 1 else f"beam search ({beam_size})"
    where = FLAGS.export_dir
    if FLAGS.export_format != "savedmodel":
        where = os.path.join(where, f"model.{FLAGS.export_format}")
    print(f"{_FORMAT_NAMES[FLAGS.export_format]} ({method}) written to {where}")


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
      The exit status: 0, 1 for bad input or a failure (a checkpoint that cannot be read or
      written, a NaN loss), 130 when training is interrupted.
    """
    if len(argv) > 1:
        print(f"Error: unexpected arguments {argv[1:]}; every option is a --flag "
              "(see --helpshort).", file=sys.stderr)
        return 1
    try:
        recipes.apply_recipe(FLAGS.recipe, FLAGS)
        if FLAGS.self_test:
            self_test()
        elif FLAGS.export_dir:
            export_model()
        elif FLAGS.exported_model:
            # Reached only when main() is called without the command line's early dispatch.
            files = [f"--input_file={FLAGS.input_file}",
                     f"--output_file={FLAGS.output_file}"] if FLAGS.input_file else []
            return runtime.main([f"--exported_model={FLAGS.exported_model}", *files])
        elif FLAGS.eval:
            evaluate()
        elif FLAGS.decode:
            decode()
        else:
            train()
    except (ValueError, OSError, FloatingPointError, ImportError) as e:
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
