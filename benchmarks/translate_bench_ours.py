"""Our side of `benchmarks/translate_bench.py`: trains and decodes our `Seq2SeqModel`, prints
RESULT json.

Run by `benchmarks/translate_bench.py` in a fresh process per measurement (so that the time
to the first step and the peak memory are this side's alone); the protocol is
`translate_bench_lib`'s. Usage on its own:

    python benchmarks/translate_bench_ours.py --config S --steps 40
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import translate_bench_lib as lib  # noqa: E402


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(lib.CONFIGS), default="S")
    parser.add_argument("--size", type=int, help="override the config's size")
    parser.add_argument("--num_layers", type=int, help="override the config's layers")
    parser.add_argument("--vocab", type=int, help="override the config's vocabulary size")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=40, help="timed training steps")
    parser.add_argument("--pool", type=int, default=2000, help="random pairs per bucket")
    parser.add_argument("--decode_n", type=int, default=50,
                        help="sentences decoded one at a time (timed)")
    parser.add_argument("--decode_batch_n", type=int, default=512,
                        help="sentences decoded in batches (timed)")
    parser.add_argument("--decode_batch", type=int, default=64, help="batch of batched decoding")
    parser.add_argument("--mixed_precision", choices=["float32", "bfloat16", "float16"],
                        default="float32",
                        help="compute dtype of training (variables stay float32)")
    parser.add_argument("--xla_decode", choices=["auto", "on", "off"], default="auto",
                        help="compile greedy decoding with XLA (translate's --xla_decode)")
    parser.add_argument("--intra_op", type=int, default=0, help="TF intra-op threads (0: TF's)")
    parser.add_argument("--inter_op", type=int, default=0, help="TF inter-op threads (0: TF's)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def model_config(args: argparse.Namespace) -> lib.ModelConfig:
    base = lib.CONFIGS[args.config]
    return lib.ModelConfig(size=args.size or base.size,
                           num_layers=args.num_layers or base.num_layers,
                           vocab=args.vocab or base.vocab, batch=args.batch)


def main(argv: Sequence[str] | None = None) -> dict:
    """Runs the measurements and prints `RESULT {json}` (also returned)."""
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from translate.hparams import XLA_DECODE_CHOICES
    from translate.infer import interactive
    from translate.seq2seq_model import Seq2SeqModel

    if args.intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op)
    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    import_s = time.perf_counter() - T_START
    config = model_config(args)

    def new_model(forward_only: bool, batch_size: int) -> Seq2SeqModel:
        return Seq2SeqModel(config.vocab, config.vocab, lib.BUCKETS, config.size,
                            config.num_layers, 5.0, batch_size, 0.5, 0.99,
                            num_samples=config.num_samples, forward_only=forward_only,
                            mixed_precision=args.mixed_precision,
                            xla_decode=XLA_DECODE_CHOICES[args.xla_decode])

    gpus = tf.config.list_physical_devices("GPU")

    def gpu_peak() -> int | None:
        """The first GPU's peak memory in use so far (None without a GPU)."""
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] if gpus else None

    # -------------------------------------------------------------------------- training
    random.seed(args.seed)
    np.random.seed(args.seed)
    tf.random.set_seed(args.seed)
    data = lib.make_pairs(config.vocab, args.pool, args.seed)
    start = time.perf_counter()
    model = new_model(forward_only=False, batch_size=config.batch)
    build_s = time.perf_counter() - start
    first_step_s = None
    for bucket_id in range(len(lib.BUCKETS)):
        model.step(None, *model.get_batch(data, bucket_id), bucket_id, False)
        if first_step_s is None:
            first_step_s = time.perf_counter() - start
    ready_after_import_s = time.perf_counter() - start
    ready_s = time.perf_counter() - T_START

    per_bucket: dict[int, list[float]] = {b: [] for b in range(len(lib.BUCKETS))}
    tokens = 0
    loss = float("nan")
    timed_start = time.perf_counter()
    for i in range(args.steps):
        bucket_id = i % len(lib.BUCKETS)
        step_start = time.perf_counter()
        batch = model.get_batch(data, bucket_id)
        _, loss, _ = model.step(None, *batch, bucket_id, False)
        per_bucket[bucket_id].append(time.perf_counter() - step_start)
        tokens += int(np.sum(batch[2]))
    timed_s = time.perf_counter() - timed_start
    traces = model.tracing_counts()
    # Decoding builds another model and compiles its searches: the peak so far is training's.
    training_peak_rss = lib.peak_rss_bytes()
    training_gpu_peak = gpu_peak()
    del model

    # -------------------------------------------------------------------------- decoding
    tf.random.set_seed(args.seed + 1)
    model = new_model(forward_only=True, batch_size=1)
    for source_max, _ in lib.BUCKETS:
        interactive.greedy_decode(model, [5] * source_max)
    sentences = lib.decode_sentences(config.vocab, args.decode_n, args.seed)
    output_tokens = 0
    decode_start = time.perf_counter()
    for sentence in sentences:
        outputs, _ = interactive.greedy_decode(model, sentence)
        output_tokens += len(outputs)
    decode_s = time.perf_counter() - decode_start

    batched = lib.decode_sentences(config.vocab, args.decode_batch_n, args.seed)
    by_bucket: dict[int, list[list[int]]] = {}
    for sentence in batched:
        by_bucket.setdefault(lib.bucket_of(sentence), []).append(sentence)
    batches = []
    for bucket_id, group in sorted(by_bucket.items()):
        for first in range(0, len(group), args.decode_batch):
            chunk = group[first:first + args.decode_batch]
            model.batch_size = len(chunk)
            encoder, _, _ = model.get_batch({bucket_id: [(s, []) for s in chunk]}, bucket_id)
            batches.append((encoder, bucket_id))
    # Untimed first pass: XLA compiles once per bucket and batch size (the other sides'
    # graphs are built before their timing starts too).
    for encoder, bucket_id in batches:
        model.greedy_search(encoder, bucket_id)
    batched_start = time.perf_counter()
    for encoder, bucket_id in batches:
        model.greedy_search(encoder, bucket_id)
    batched_s = time.perf_counter() - batched_start

    gemm = lib.measure_gemm_rate(tf.function(tf.matmul))
    # The rate of the mixed-precision products too (AMX or AVX512-BF16 make them 4x faster
    # on large matrices), on operands cast once, so that the casts are not timed.
    gemm_compute = None
    if args.mixed_precision != "float32":
        square = tf.cast(tf.random.normal([2048, 2048]), args.mixed_precision)
        product = tf.function(lambda: tf.matmul(square, square))
        gemm_compute = lib.measure_gemm_rate(lambda a, b: product(), size=2048)
    return lib.print_result(
        config, args.steps, per_bucket, tokens, timed_s, len(sentences), decode_s,
        len(batched), batched_s,
        impl="ours-tf" + tf.__version__ + (
            "" if args.mixed_precision == "float32" else "-" + args.mixed_precision),
        threads=[args.intra_op, args.inter_op], import_s=import_s, build_s=build_s,
        first_step_s=first_step_s, ready_after_import_s=ready_after_import_s, ready_s=ready_s,
        last_loss=float(loss), tracing_counts=traces, decode_output_tokens=output_tokens,
        decode_batch=args.decode_batch, gemm_flops_per_s=gemm,
        gemm_compute_flops_per_s=gemm_compute, compute_dtype=args.mixed_precision,
        peak_rss_training_bytes=training_peak_rss, xla_decode=args.xla_decode,
        device=(tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
                if gpus else "CPU"),
        gpu_peak_training_bytes=training_gpu_peak, gpu_peak_bytes=gpu_peak())


if __name__ == "__main__":
    main()
