"""The benchmark's protocol, shared by every side: data, batches, FLOPs, GEMM rate, memory.

The protocol is the one `shared/peers/torch_bench.py` (the PyTorch peer) documents, so that
the figures of the three sides compare:

* data: per bucket (I, O), `pool` random pairs drawn with `random.Random(seed)`: a source of
  `randint(max(1, I_prev), I - 1)` tokens (I_prev: the previous bucket's I, 0 for the first),
  a target of `min(max(1, source_length + randint(-1, 3)), O - 2)` tokens, each token
  `randint(4, vocab - 1)`, then EOS appended to the target;
* batches: the original's `get_batch` (Python's global `random.choice` per row, seeded with
  `seed`), buckets visited in turn 0, 1, 2, 3, 0, ...; a timed step is `get_batch` plus the
  training step; target tokens are the non-zero target weights of the batch;
* decoding: sentences of `randint(I_prev + 1, I)` random tokens for bucket `k % 4` (the k-th
  sentence), drawn with `random.Random(seed)`, decoded one at a time with a freshly
  initialized model, as `translate --decode` does.

FLOPs are counted analytically (multiply-adds count 2) for the matmul-like work of the model:
see `train_step_flops`. Plain module: also imported by the TF 1.15 driver's documentation,
never by the library.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import resource
import statistics
import time

# The tutorial's buckets and special symbols (data_utils).
BUCKETS: tuple[tuple[int, int], ...] = ((5, 10), (10, 15), (20, 25), (40, 50))
EOS_ID = 2
FIRST_WORD_ID = 4


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The benchmarked model: the tutorial's flags.

    Attributes:
      size: units per layer (also the embedding size).
      num_layers: GRU layers of encoder and decoder.
      vocab: source and target vocabulary size.
      batch: sentences per training batch.
      num_samples: sampled-softmax candidates per decoder step (used when < vocab).
    """

    size: int
    num_layers: int
    vocab: int
    batch: int = 64
    num_samples: int = 512

    @property
    def sampled(self) -> bool:
        return 0 < self.num_samples < self.vocab


# The configurations: S (quick), L (the tutorial's defaults).
CONFIGS = {
    "S": ModelConfig(size=256, num_layers=2, vocab=10000),
    "L": ModelConfig(size=1024, num_layers=3, vocab=40000),
}


def make_pairs(vocab: int, pool: int, seed: int) -> list[list[list[list[int]]]]:
    """Random (source ids, target ids + EOS) pairs per bucket, drawn as the module says.

    Args:
      vocab: vocabulary size (token ids are 4 .. vocab - 1).
      pool: pairs per bucket.
      seed: seed of the `random.Random` drawing them.

    Returns:
      Per bucket, `pool` pairs `[source, target]` (lists of ints).
    """
    rng = random.Random(seed)
    data = []
    previous = 0
    for source_max, target_max in BUCKETS:
        pairs = []
        for _ in range(pool):
            source_length = rng.randint(max(1, previous), source_max - 1)
            target_length = min(max(1, source_length + rng.randint(-1, 3)), target_max - 2)
            source = [rng.randint(FIRST_WORD_ID, vocab - 1) for _ in range(source_length)]
            target = [rng.randint(FIRST_WORD_ID, vocab - 1) for _ in range(target_length)]
            pairs.append([source, target + [EOS_ID]])
        data.append(pairs)
        previous = source_max
    return data


def decode_sentences(vocab: int, count: int, seed: int) -> list[list[int]]:
    """`count` random source sentences, sentence k sized for bucket k % 4 (see the module)."""
    rng = random.Random(seed)
    ranges = []
    previous = 0
    for source_max, _ in BUCKETS:
        ranges.append((previous + 1, source_max))
        previous = source_max
    sentences = []
    for k in range(count):
        low, high = ranges[k % len(BUCKETS)]
        sentences.append([rng.randint(FIRST_WORD_ID, vocab - 1)
                          for _ in range(rng.randint(low, high))])
    return sentences


def bucket_of(sentence: list[int]) -> int:
    """The decode bucket of a sentence: the first whose encoder length holds it, else the last."""
    for bucket_id, (encoder_size, _) in enumerate(BUCKETS):
        if encoder_size >= len(sentence):
            return bucket_id
    return len(BUCKETS) - 1


def _attention_decoder_step_flops(config: ModelConfig, batch: int, attn_length: int) -> int:
    """Forward FLOPs of one decoder step before the softmax (one attention head)."""
    s, layers = config.size, config.num_layers
    input_map = 2 * batch * (2 * s) * s                       # [input, read] -> size
    cells = layers * 2 * batch * (2 * s) * (3 * s)            # GRU: gates 2s + candidate s
    query = 2 * batch * (layers * s) * s                      # all layers' state -> attn size
    attention = 2 * 2 * batch * attn_length * s               # v . tanh(...) and the read
    output_map = 2 * batch * (2 * s) * s                      # [cell output, read] -> size
    return input_map + cells + query + attention + output_map


def forward_flops(config: ModelConfig, bucket: tuple[int, int], batch: int | None = None) -> int:
    """Forward FLOPs of the model on one batch of `bucket` (teacher forcing, with the loss).

    Counts the matmul-like work: the encoder's GRU layers, the attention keys, every decoder
    step (input map, GRU layers, attention query, scores and read, output map) and the
    softmax: sampled (true and `num_samples` sampled logits per step) or full (the output
    projection wrapper and the full-vocabulary output map).
    """
    batch = batch or config.batch
    s, layers, vocab = config.size, config.num_layers, config.vocab
    encoder_length, decoder_length = bucket
    encoder = encoder_length * layers * 2 * batch * (2 * s) * (3 * s)
    keys = 2 * batch * encoder_length * s * s
    step = _attention_decoder_step_flops(config, batch, encoder_length)
    if config.sampled:
        softmax = 2 * batch * s * (config.num_samples + 1)
    else:
        # OutputProjectionWrapper (s -> vocab), then the output map reads [vocab, attn].
        step += 2 * batch * s * vocab + 2 * batch * (vocab + s) * vocab - 2 * batch * 2 * s * s
        softmax = 0
    return encoder + keys + decoder_length * (step + softmax)


def train_step_flops(config: ModelConfig, bucket: tuple[int, int]) -> int:
    """FLOPs of a training step: forward + backward (twice the forward's matmul work)."""
    return 3 * forward_flops(config, bucket)


def greedy_decode_flops(config: ModelConfig, bucket: tuple[int, int], steps: int) -> int:
    """Forward FLOPs of greedily decoding one sentence for `steps` output positions."""
    s, vocab = config.size, config.vocab
    encoder_length, _ = bucket
    encoder = encoder_length * config.num_layers * 2 * (2 * s) * (3 * s)
    keys = 2 * encoder_length * s * s
    logits = 2 * s * vocab
    return encoder + keys + steps * (_attention_decoder_step_flops(config, 1, encoder_length)
                                     + logits)


def print_result(config: ModelConfig, steps: int, per_bucket: dict[int, list[float]],
                 tokens: int, timed_s: float, decoded: int, decode_s: float, batched: int,
                 batched_s: float, **fields) -> dict:
    """Prints `RESULT {json}`, the line `translate_bench.py` reads from every side.

    The record holds `fields` (a side's own figures: impl, times, loss, ...), the model's
    configuration, the rates derived from the raw measurements (per bucket median s/step over
    `per_bucket`'s step times, `tokens` target tokens in `timed_s`, `decoded` sentences one at
    a time in `decode_s`, `batched` in batches in `batched_s`) and the process's peak RSS.
    Returns the record.
    """
    record = dict(
        fields, size=config.size, num_layers=config.num_layers, vocab=config.vocab,
        batch=config.batch, steps=steps,
        median_step_s_per_bucket={str(tuple(BUCKETS[b])): statistics.median(v)
                                  for b, v in per_bucket.items() if v},
        target_tokens_per_s=tokens / timed_s if steps else None,
        decode_sentences_per_s=decoded / decode_s if decoded else None,
        decode_batched_sentences_per_s=batched / batched_s if batched else None,
        peak_rss_bytes=peak_rss_bytes())
    print("RESULT " + json.dumps(record, sort_keys=True), flush=True)
    return record


def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_gemm_rate(matmul, size: int = 2048, repeats: int = 5, calls: int = 8) -> float:
    """The best single-precision GEMM rate of `matmul(a, b)` on `size` x `size` matrices.

    Args:
      matmul: a function of two float32 arrays returning an object with `numpy()`, e.g. a
        compiled `tf.matmul`.
      size: the matrices' side.
      repeats: timed rounds (the best is kept: the machine is shared).
      calls: matmuls per round.

    Returns:
      FLOP/s.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            result = matmul(a, b)
        result.numpy()
        best = min(best, (time.perf_counter() - start) / calls)
    return 2 * size ** 3 / best


def machine_description() -> str:
    """CPU model and count, for the report."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"
