"""Training-step time of the modern recipe's model by vocabulary size, alternated in one process.

    python benchmarks/bench_vocab_size.py                  # 4000 and 8000 pieces, 6 rounds
    python benchmarks/bench_vocab_size.py --sizes 2000,4000,8000 --rounds 4

Every size gets the same batch lengths per bucket (random pairs of realistic lengths, batch
128), so the figures isolate what the vocabulary costs a step: the embeddings and the output
projection at every target position. The sizes are timed in turn, the order reversed every
round; each cell is a median over the rounds. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def random_pairs(vocab: int, buckets: Sequence[tuple[int, int]], per_bucket: int,
                 rng: np.random.Generator) -> list[list[tuple[list[int], list[int]]]]:
    """`per_bucket` random id pairs per bucket, each a little shorter than its bucket."""
    data = []
    for source, target in buckets:
        pairs = []
        for _ in range(per_bucket):
            source_len = int(rng.integers(max(1, source - 5), source + 1))
            target_len = int(rng.integers(max(1, target - 6), target - 1))
            pairs.append((rng.integers(4, vocab, source_len).tolist(),
                          rng.integers(4, vocab, target_len).tolist()))
        data.append(pairs)
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4000,8000",
                        help="comma-separated vocabulary sizes (source and target)")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from translate.hparams import HParams
    from translate.models import build_model
    from translate.recipes import RECIPES

    sizes = [int(size) for size in args.sizes.split(",")]
    recipe = {k: v for k, v in RECIPES["modern"].items() if k in HParams.__dataclass_fields__}
    models, batches = {}, {}
    for vocab in sizes:
        hparams = HParams(**{**recipe, "from_vocab_size": vocab, "to_vocab_size": vocab})
        model = build_model(hparams, False)
        random.seed(0)
        data = random_pairs(vocab, hparams.buckets, 300, np.random.default_rng(0))
        batches[vocab] = [model.get_batch(data, b) for b in range(len(hparams.buckets))]
        for bucket_id, batch in enumerate(batches[vocab]):
            model.trainer.step(*batch, bucket_id)  # traces and warms up
        models[vocab] = model
    times: dict[int, list[list[float]]] = {v: [[] for _ in batches[v]] for v in sizes}
    for round_index in range(args.rounds):
        for vocab in (sizes if round_index % 2 == 0 else sizes[::-1]):
            for bucket_id, batch in enumerate(batches[vocab]):
                start = time.perf_counter()
                models[vocab].trainer.step(*batch, bucket_id)
                times[vocab][bucket_id].append(time.perf_counter() - start)
    buckets = recipe.get("buckets") or HParams().buckets
    print("| bucket | " + " | ".join(f"{v} pieces (s/step)" for v in sizes)
          + f" | {sizes[-1]} / {sizes[0]} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for bucket_id, bucket in enumerate(buckets):
        medians = [statistics.median(times[v][bucket_id]) for v in sizes]
        print(f"| {tuple(bucket)} | " + " | ".join(f"{m:.3f}" for m in medians)
              + f" | {medians[-1] / medians[0]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
