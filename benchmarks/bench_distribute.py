"""Training steps/s and tokens/s of `translate` on 1 and 2 replicas (tf.distribute).

Each configuration runs in its own process (logical devices must be set up before TensorFlow
starts) on the same token ids, model and global batch:

  default       the original's loop: `get_batch` in Python, `Seq2SeqModel.step`, one device;
  mirrored-1    MirroredStrategy on one CPU device, tf.data input (translate.train);
  mirrored-2    MirroredStrategy on the CPU split into 2 logical devices;
  multi_worker  MultiWorkerMirroredStrategy, 2 worker processes on 127.0.0.1;
  gpu-1         MirroredStrategy on one GPU (only where a GPU is visible).

Every bucket's step is traced before timing; then --rounds rounds of --steps steps are timed,
buckets drawn by size as in training, and the fastest round is reported (other processes on a
shared machine slow some rounds down). Tokens are the non-padding source and target tokens of
the global batches. The "input only" row times the tf.data pipeline alone (batches pulled, no
training), to show whether feeding could stall the replicas.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_distribute.py [--steps 20] [--rounds 3] [--size 256] \
        [--corpus_dir /work/shared/corpus/tatoeba_en_fr] [--configs default,mirrored-1,...]

--corpus_dir holds train.en/train.fr (default: the Tatoeba corpus when present; "" or none:
the built-in demo corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
TATOEBA = "/work/shared/corpus/tatoeba_en_fr"
CONFIGS = ("default", "mirrored-1", "mirrored-2", "multi_worker", "gpu-1")


def prepare(corpus_dir: str | None, workdir: str, vocab_size: int) -> tuple[str, str]:
    """Token-id files of the corpus (built once, shared by every configuration)."""
    import data_utils

    if not corpus_dir:
        files = data_utils.demo_corpus.write_demo_corpus(
            os.path.join(workdir, "corpus"), num_train=20000, num_dev=10, seed=1)
        source, target = files[0], files[1]
    else:
        source, target = (os.path.join(corpus_dir, f"train.{s}") for s in ("en", "fr"))
    paths = data_utils.prepare_data(os.path.join(workdir, "data"), source, target, source,
                                    target, vocab_size, vocab_size)
    return paths[0], paths[1]


def child(args: argparse.Namespace) -> dict:
    """Measures one configuration in this process; returns its row."""
    from translate.train import distribute

    devices = {"mirrored-1": ["/cpu:0"], "mirrored-2": ["/cpu:0", "/cpu:1"],
               "gpu-1": ["/gpu:0"]}.get(args.child, [])
    name = {"default": "default", "multi_worker": "multi_worker"}.get(args.child, "mirrored")
    strategy = distribute.make_strategy(name, devices=devices)

    import numpy as np

    from translate import batching, datasets
    from translate.hparams import BUCKETS
    from translate.seq2seq_model import Seq2SeqModel
    from translate.train.trainer import StrategyTrainer

    with distribute.scope(strategy):
        model = Seq2SeqModel(args.vocab_size, args.vocab_size, BUCKETS, args.size,
                             args.num_layers, 5.0, args.batch_size, 0.5, 0.99)
    train_set = batching.read_data(args.source_ids, args.target_ids, model.buckets)
    scale = batching.bucket_scale(train_set)
    used = [i for i, pairs in enumerate(train_set) if len(pairs) >= args.batch_size]
    choose = datasets.BucketChooser(scale, seed=0)

    def draw() -> int:
        bucket_id = choose()
        while bucket_id not in used:
            bucket_id = choose()
        return bucket_id

    if strategy is None:
        def step(bucket_id: int) -> int:
            batch = model.get_batch(train_set, bucket_id)
            model.step(None, *batch, bucket_id, False)
            return int(np.count_nonzero(batch[0])) + int(np.sum(batch[2]))
    else:
        trainer = StrategyTrainer(strategy, model, args.batch_size)
        feed = datasets.DistributedBuckets(strategy, train_set, model.buckets,
                                           args.batch_size, seed=0)

        def step(bucket_id: int) -> int:
            return trainer.train_step(bucket_id, *feed.next(bucket_id)).tokens

    for bucket_id in used:  # trace every bucket's step
        step(bucket_id)
    for _ in range(3):
        step(draw())
    # On a shared machine other processes slow some rounds down: the fastest round counts.
    best = (0.0, 0.0)
    for _ in range(args.rounds):
        tokens, start = 0, time.perf_counter()
        for _ in range(args.steps):
            tokens += step(draw())
        elapsed = time.perf_counter() - start
        best = max(best, (args.steps / elapsed, tokens / elapsed))
    row = {"config": args.child, "replicas": 1 if strategy is None
           else strategy.num_replicas_in_sync, "steps_per_s": best[0], "tokens_per_s": best[1],
           "buckets": [len(pairs) for pairs in train_set]}
    if strategy is not None and args.child == "mirrored-2":
        start = time.perf_counter()
        for _ in range(args.steps * 4):
            feed.next(draw())
        row["input_batches_per_s"] = args.steps * 4 / (time.perf_counter() - start)
    return row


def run_config(config: str, args: argparse.Namespace, ids: tuple[str, str]) -> dict | None:
    """Runs one configuration in child processes; returns its row (None: not runnable)."""
    command = [sys.executable, os.path.abspath(__file__), "--child", config,
               "--source_ids", ids[0], "--target_ids", ids[1], "--steps", str(args.steps),
               "--rounds", str(args.rounds),
               "--size", str(args.size), "--num_layers", str(args.num_layers),
               "--batch_size", str(args.batch_size), "--vocab_size", str(args.vocab_size)]
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    environments = [env]
    if config == "multi_worker":
        from translate.train import distribute

        cluster = distribute.local_cluster(2)
        environments = [dict(env, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": i}})) for i in range(2)]
    processes = [subprocess.Popen(command, env=e, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for e in environments]
    try:
        outputs = [p.communicate(timeout=args.timeout) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    if any(p.returncode for p in processes):
        print(f"{config}: failed\n{outputs[0][1].decode()[-2000:]}", file=sys.stderr)
        return None
    return json.loads(outputs[0][0].decode().strip().split("\n")[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--num_layers", type=int, default=2)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--vocab_size", type=int, default=10000)
    parser.add_argument("--corpus_dir", default=TATOEBA if os.path.isdir(TATOEBA) else None)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--source_ids", help=argparse.SUPPRESS)
    parser.add_argument("--target_ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return

    configs = args.configs.split(",")
    if "gpu-1" in configs and not _has_gpu():
        configs.remove("gpu-1")
        print("gpu-1: no GPU visible, skipped")
    with tempfile.TemporaryDirectory() as workdir:
        ids = prepare(args.corpus_dir, workdir, args.vocab_size)
        print(f"corpus {args.corpus_dir or 'demo (20,000 pairs)'}, size {args.size}, "
              f"{args.num_layers} layers, vocabularies {args.vocab_size}, global batch "
              f"{args.batch_size}, best of {args.rounds} rounds of {args.steps} steps, "
              f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")
        rows = [row for row in (run_config(c, args, ids) for c in configs) if row]
    if rows:
        print(f"pairs per bucket: {rows[0]['buckets']}")
    print(f"{'configuration':<14}{'replicas':>9}{'steps/s':>10}{'tokens/s':>11}")
    for row in rows:
        print(f"{row['config']:<14}{row['replicas']:>9}{row['steps_per_s']:>10.2f}"
              f"{row['tokens_per_s']:>11.0f}")
    for row in rows:
        if "input_batches_per_s" in row:
            print(f"input only (tf.data, 2 replicas): {row['input_batches_per_s']:.0f} global "
                  "batches/s")


def _has_gpu() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; "
         "print(len(tf.config.list_physical_devices('GPU')))"],
        capture_output=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return probe.returncode == 0 and probe.stdout.decode().strip().split("\n")[-1] != "0"


if __name__ == "__main__":
    main()
