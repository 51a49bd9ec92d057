"""`make demo`: train on the built-in English-to-French numbers-and-dates corpus, then translate.

    python -m translate.demo [--work_dir demo_run] [--steps 3000] [--show 12]

1. writes the corpus of `data_utils.demo_corpus` (50,000 training and 1,000 held-out pairs);
2. trains the tutorial's model on it with the tutorial's training loop and log (resuming from
   `<work_dir>/train` when run again);
3. translates every held-out sentence greedily (batched, `translate.infer.batch`), prints
   some with their references, the exact-match accuracy, BLEU and chrF (sacrebleu) over all
   of them, and the decoding speed.

The corpus is written in words only (`demo_corpus.WORDS_ONLY_KINDS`): numbers and dates
spelled out, no digits, so the tutorial's tokenizer (which maps every digit to 0) sees them as
they are.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sys
import time
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

import data_utils
from data_utils import demo_corpus
from data_utils.vocabulary import count_tokens
from translate.hparams import HParams
from translate.infer import metrics
from translate.infer.batch import BatchTranslator, timed_translate
from translate.infer.codec import WordCodec
from translate.model_setup import create_model, load_vocabularies
from translate.train import loop

# Tuned to translate visibly right after a few minutes on 2 CPU cores (see README).
DEMO_HPARAMS = HParams(size=128, num_layers=2, batch_size=64, learning_rate=0.5,
                       learning_rate_decay_factor=0.99, max_gradient_norm=5.0)
DEMO_STEPS = 3000
NUM_TRAIN, NUM_DEV = 50_000, 1_000
DECODE_BATCH = 128


@dataclasses.dataclass
class DemoResult:
    """What the demo measured.

    Attributes:
      accuracy: share of held-out sentences translated exactly right.
      bleu: corpus BLEU (0-100) over the held-out sentences (sacrebleu, on the tokens).
      chrf: corpus chrF (0-100), likewise.
      train_seconds: wall time of the training run.
      decode_seconds: wall time of translating the held-out sentences (after compiling).
      sources: the held-out English sentences.
      references: their French references, as the model sees them (tokens).
      translations: the model's translations (tokens joined by spaces).
    """

    accuracy: float
    bleu: float
    chrf: float
    train_seconds: float
    decode_seconds: float
    sources: list[str]
    references: list[str]
    translations: list[str]


def vocabulary_size(path: str) -> int:
    """Tokens of a corpus file plus the four special symbols: a vocabulary keeping them all."""
    return len(count_tokens(path)) + len(data_utils._START_VOCAB)


def demo_tokens(sentence: str) -> list[bytes]:
    """The tokens the model sees: the tutorial's basic_tokenizer."""
    return data_utils.basic_tokenizer(sentence.encode("utf-8"))


def _join(tokens: Sequence[bytes]) -> str:
    return " ".join(tf.compat.as_str(w) for w in tokens)


def read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def run_demo(work_dir: str, steps: int = DEMO_STEPS, show: int = 12,
             hparams: HParams = DEMO_HPARAMS, num_train: int = NUM_TRAIN,
             num_dev: int = NUM_DEV, steps_per_checkpoint: int = 200) -> DemoResult:
    """Writes the corpus, trains (or resumes) up to `steps`, translates the held-out set.

    Args:
      work_dir: where corpus/, data/ and train/ go.
      steps: train until this global step.
      show: how many held-out translations to print.
      hparams: the model; its vocabulary sizes are set from the corpus.
      num_train, num_dev: corpus sizes.
      steps_per_checkpoint: the training loop's checkpoint interval.

    Returns:
      The measured figures.
    """
    corpus_dir = os.path.join(work_dir, "corpus")
    data_dir, train_dir = os.path.join(work_dir, "data"), os.path.join(work_dir, "train")
    files = demo_corpus.write_demo_corpus(corpus_dir, num_train=num_train, num_dev=num_dev,
                                          kinds=demo_corpus.WORDS_ONLY_KINDS)
    hparams = dataclasses.replace(hparams, from_vocab_size=vocabulary_size(files[0]),
                                  to_vocab_size=vocabulary_size(files[1]))
    print(f"Demo corpus in {corpus_dir}: {num_train} training and {num_dev} held-out "
          "English-French pairs (numbers and dates).")
    print(f"Model: {hparams.num_layers} GRU layers of {hparams.size} units with attention, "
          f"vocabularies {hparams.from_vocab_size}/{hparams.to_vocab_size}; training to "
          f"global step {steps}.")
    sys.stdout.flush()
    config = loop.TrainConfig(
        data_dir=data_dir, train_dir=train_dir, from_train_data=files[0],
        to_train_data=files[1], from_dev_data=files[2], to_dev_data=files[3],
        steps_per_checkpoint=steps_per_checkpoint, max_steps=steps)
    # Seeded, so that a fresh run draws the same initial values and batches.
    random.seed(0)
    np.random.seed(0)
    tf.random.set_seed(0)
    start = time.time()
    loop.train(hparams, config)
    train_seconds = time.time() - start

    model = create_model(hparams, train_dir, forward_only=True)
    source_vocab, rev_target_vocab = load_vocabularies(
        data_dir, hparams.from_vocab_size, hparams.to_vocab_size)
    sources, references = read_lines(files[2]), read_lines(files[3])
    translator = BatchTranslator(model, WordCodec(source_vocab, rev_target_vocab),
                                 batch_size=DECODE_BATCH)
    hypotheses, report = timed_translate(translator, [s.encode("utf-8") for s in sources])
    outputs = [list(h[0].tokens) for h in hypotheses]
    expected = [demo_tokens(r) for r in references]
    translations = [_join(tokens) for tokens in outputs]
    scores = metrics.corpus_scores(translations, [_join(tokens) for tokens in expected])
    result = DemoResult(
        accuracy=metrics.exact_match(outputs, expected), bleu=scores.bleu, chrf=scores.chrf,
        train_seconds=train_seconds, decode_seconds=report.seconds, sources=sources,
        references=[_join(tokens) for tokens in expected], translations=translations)
    print_report(result, outputs, expected, show, hparams, data_dir, train_dir)
    return result


def print_report(result: DemoResult, outputs: list[list[bytes]], expected: list[list[bytes]],
                 show: int, hparams: HParams, data_dir: str, train_dir: str) -> None:
    """Prints `show` held-out translations, the scores, and how to decode with the model."""
    n = len(result.sources)
    print(f"\nHeld-out sentences (never seen in training), {min(show, n)} of {n}:")
    for i in range(min(show, n)):
        mark = "ok " if outputs[i] == expected[i] else "ERR"
        print(f"  [{mark}] {result.sources[i]}\n        reference: {result.references[i]}\n"
              f"        model:     {result.translations[i]}")
    right = round(result.accuracy * n)
    print(f"\nExact match on all {n} held-out sentences: {100 * result.accuracy:.1f}% "
          f"({right}/{n}); BLEU {result.bleu:.1f}, chrF {result.chrf:.1f}. Training took "
          f"{result.train_seconds:.0f} s; translating them {result.decode_seconds:.1f} s "
          f"({n / max(result.decode_seconds, 1e-9):.0f} sentences/s).")
    print("Translate your own sentences (one per line, Ctrl-D to end):\n"
          f"  python -m translate --decode --data_dir={data_dir} --train_dir={train_dir} "
          f"--size={hparams.size} --num_layers={hparams.num_layers} "
          f"--from_vocab_size={hparams.from_vocab_size} "
          f"--to_vocab_size={hparams.to_vocab_size}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the demo; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work_dir", default="demo_run", help="corpus, data and checkpoints")
    parser.add_argument("--steps", type=int, default=DEMO_STEPS,
                        help="train until this global step (resumes a previous run)")
    parser.add_argument("--show", type=int, default=12, help="held-out translations to print")
    args = parser.parse_args(argv)
    run_demo(args.work_dir, steps=args.steps, show=args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
