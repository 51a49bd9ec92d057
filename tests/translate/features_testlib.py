"""Helpers of the tests of the opt-in features (beam search, batched decoding, evaluation,
attention plots, export, summaries): the golden TF 1.15 models in-process, a small trained
demo model."""

from __future__ import annotations

import dataclasses
import functools
import os

from translate_testlib import TF1_CKPT, read_flags

from translate import model_setup
from translate.demo import run_demo, vocabulary_size
from translate.hparams import HParams
from translate.infer.codec import WordCodec
from translate.model_setup import create_model
from translate.models import TranslationModel

# A demo model that translates most held-out sentences right after ~25 s of training.
DEMO_HPARAMS = HParams(size=48, num_layers=1, batch_size=32)
DEMO_STEPS = 600


def hparams_from_flags(flags: list[str]) -> HParams:
    """The HParams that command-line model flags (--size=.., --use_lstm, ...) describe."""
    values: dict = {}
    for flag in flags:
        name, _, value = flag[2:].partition("=")
        values[name] = True if value == "" else int(value)
    return HParams(**values)


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A restored forward-only model with its vocabularies and model flags."""

    model: TranslationModel
    source_vocab: dict[bytes, int]
    rev_target_vocab: list[bytes]
    flags: list[str]

    @property
    def codec(self) -> WordCodec:
        """The vocabularies as the translators take them."""
        return WordCodec(self.source_vocab, self.rev_target_vocab)


@functools.cache
def golden_model(config: str) -> Loaded:
    """The golden TF 1.15 checkpoint of `config`, restored in this process (cached)."""
    directory = os.path.join(TF1_CKPT, config)
    flags = read_flags(directory)
    hparams = hparams_from_flags(flags)
    model = create_model(hparams, os.path.join(directory, "train"), forward_only=True)
    source_vocab, rev_target_vocab = model_setup.load_vocabularies(
        os.path.join(directory, "data"), hparams.from_vocab_size, hparams.to_vocab_size)
    return Loaded(model, source_vocab, rev_target_vocab, flags)


def golden_inputs(config: str) -> list[bytes]:
    """The lines the original decoded (as --decode reads them, without the newline)."""
    with open(os.path.join(TF1_CKPT, config, "decode_input.txt"), "rb") as f:
        return f.read().split(b"\n")


def golden_answers(config: str) -> list[str]:
    """What the original printed for each of `golden_inputs`, in order."""
    with open(os.path.join(TF1_CKPT, config, "decode_stdout.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    # "Reading model parameters ...", then "> answer" per input, then the last "> ".
    assert lines[-1] == "> " and all(line.startswith("> ") for line in lines[1:])
    return [line[2:] for line in lines[1:-1]]


def train_demo_model(work_dir: str) -> dict:
    """Trains `DEMO_HPARAMS` on a small demo corpus with the demo's own code.

    Returns:
      paths ("work_dir", "data_dir", "train_dir", "dev_source", "dev_reference"), "flags"
      (the model flags of the command line), "hparams" and "result" (the `DemoResult`).
    """
    result = run_demo(work_dir, steps=DEMO_STEPS, show=0, hparams=DEMO_HPARAMS,
                      num_train=5000, num_dev=200, steps_per_checkpoint=300)
    corpus = os.path.join(work_dir, "corpus")
    hparams = dataclasses.replace(
        DEMO_HPARAMS, from_vocab_size=vocabulary_size(os.path.join(corpus, "train.en")),
        to_vocab_size=vocabulary_size(os.path.join(corpus, "train.fr")))
    flags = [f"--size={hparams.size}", f"--num_layers={hparams.num_layers}",
             f"--from_vocab_size={hparams.from_vocab_size}",
             f"--to_vocab_size={hparams.to_vocab_size}"]
    return {"work_dir": work_dir, "data_dir": os.path.join(work_dir, "data"),
            "train_dir": os.path.join(work_dir, "train"),
            "dev_source": os.path.join(corpus, "dev.en"),
            "dev_reference": os.path.join(corpus, "dev.fr"),
            "flags": flags, "hparams": hparams, "result": result}


def load_demo_model(demo: dict) -> Loaded:
    """The trained demo model of `train_demo_model`, restored for decoding."""
    hparams = demo["hparams"]
    model = create_model(hparams, demo["train_dir"], forward_only=True)
    source_vocab, rev_target_vocab = model_setup.load_vocabularies(
        demo["data_dir"], hparams.from_vocab_size, hparams.to_vocab_size)
    return Loaded(model, source_vocab, rev_target_vocab, demo["flags"])
