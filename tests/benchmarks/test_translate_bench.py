"""The benchmark's protocol, FLOP counts and report; a smoke run of our side."""

from __future__ import annotations

import argparse
import os
import sys

import pytest
import translate_bench as benchmark
import translate_bench_lib as benchmark_lib
import translate_bench_ours as benchmark_ours


def test_pairs_follow_the_protocol_and_the_seed():
    data = benchmark_lib.make_pairs(vocab=50, pool=200, seed=1)
    assert data == benchmark_lib.make_pairs(vocab=50, pool=200, seed=1)
    assert data != benchmark_lib.make_pairs(vocab=50, pool=200, seed=2)
    previous = 0
    for (source_max, target_max), pairs in zip(benchmark_lib.BUCKETS, data):
        assert len(pairs) == 200
        sources = {len(source) for source, _ in pairs}
        assert min(sources) == max(1, previous) and max(sources) == source_max - 1
        for source, target in pairs:
            assert target[-1] == benchmark_lib.EOS_ID and len(target) <= target_max - 1
            assert all(4 <= token < 50 for token in source + target[:-1])
        previous = source_max


def test_decode_sentences_cycle_through_the_buckets():
    sentences = benchmark_lib.decode_sentences(vocab=50, count=40, seed=0)
    assert [benchmark_lib.bucket_of(s) for s in sentences] == [0, 1, 2, 3] * 10


def test_flops_of_a_tiny_model_counted_by_hand():
    config = benchmark_lib.ModelConfig(size=2, num_layers=1, vocab=100, batch=1,
                                       num_samples=3)
    # Encoder: 1 step of a GRU [x(2), h(2)] -> 6 = 2 * 4 * 6 = 48; keys 2 * 1 * 2 * 2 = 8.
    # Decoder step: input map 2*4*2 = 16, GRU 48, query 2*2*2 = 8, attention 2*2*1*2 = 8,
    # output map 16, sampled softmax 2 * 2 * 4 = 16: 112 per step, 2 steps.
    assert benchmark_lib.forward_flops(config, (1, 2)) == 48 + 8 + 2 * 112
    assert benchmark_lib.train_step_flops(config, (1, 2)) == 3 * (48 + 8 + 2 * 112)
    full = benchmark_lib.ModelConfig(size=2, num_layers=1, vocab=3, batch=1, num_samples=3)
    # The cell's output is projected to the vocabulary (2*2*3) and the output map reads
    # [3 logits, 2 read] -> 3 (2*5*3) instead of [2, 2] -> 2.
    assert benchmark_lib.forward_flops(full, (1, 2)) == 48 + 8 + 2 * (96 - 16 + 12 + 30)


def fake_run(tokens: float, step: float, rss: float) -> dict:
    return {"target_tokens_per_s": tokens, "ready_after_import_s": 2.0, "ready_s": 4.0,
            "median_step_s_per_bucket": {str(b): step for b in benchmark_lib.BUCKETS},
            "peak_rss_bytes": rss, "decode_sentences_per_s": 10.0,
            "decode_batched_sentences_per_s": 500.0, "gemm_flops_per_s": 1e11,
            "import_rss_bytes": 0.6e9 if rss == 1e9 else 0.2e9,
            "peak_rss_above_import_bytes": rss - (0.6e9 if rss == 1e9 else 0.2e9)}


def test_report_shows_medians_and_ratios():
    args = argparse.Namespace(config="S", steps=4, rounds=2)
    runs = {"ours": [fake_run(3000, 0.1, 1e9), fake_run(5000, 0.3, 1e9)],
            "torch": [fake_run(2000, 0.4, 2e9), fake_run(2000, 0.4, 2e9)]}
    text = benchmark.report(args, runs, {"ours": "ours cmd", "torch": "torch cmd"})
    assert "    ours cmd" in text and "    torch cmd" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    assert rows["target tokens/s (training)"].endswith("| 4,000 | 2,000 | 2.00x |")
    # Seconds per step: lower is better, so the ratio is theirs over ours.
    assert "| 0.200 | 0.400 | 2.00x |" in text
    assert rows["peak RSS (GB)"].endswith("| 1.00 | 2.00 | 2.00x |")
    assert rows["peak RSS above that import (GB)"].endswith("| 0.40 | 1.80 | 4.50x |")
    assert "GEMM rate" in text and "Fraction of the GEMM rate" in text


def test_report_compares_both_of_our_dtypes_with_the_others_and_each_other():
    args = argparse.Namespace(config="S", steps=4, rounds=1)
    runs = {"ours": [fake_run(3000, 0.3, 1e9)],
            "ours_bf16": [dict(fake_run(4500, 0.2, 1e9), gemm_compute_flops_per_s=4e11)],
            "torch": [fake_run(1500, 0.4, 2e9)]}
    text = benchmark.report(args, runs, {side: f"{side} cmd" for side in runs})
    assert "; GEMM rate in bfloat16: 400 GFLOP/s; GEMM rate (TF 2, float32" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("|  |"))
    assert header.endswith("| ours (TF 2) | ours, bfloat16 | PyTorch eager | ours / PyTorch eager "
                           "| ours, bfloat16 / PyTorch eager | ours, bfloat16 / ours |")
    tokens = next(line for line in lines if line.startswith("| target tokens/s"))
    assert tokens.endswith("| 3,000 | 4,500 | 1,500 | 2.00x | 3.00x | 1.50x |")
    command = benchmark.side_command("ours_bf16", benchmark.parse_args([]))
    assert command[command.index("--mixed_precision") + 1] == "bfloat16"


def test_report_names_the_gpu_and_its_memory_only_where_there_is_one():
    args = argparse.Namespace(config="L", steps=4, rounds=1)
    on_gpu = dict(fake_run(3000, 0.3, 1e9), device="NVIDIA H100", gpu_peak_bytes=5e9,
                  gpu_peak_training_bytes=4e9)
    text = benchmark.report(args, {"ours": [on_gpu]}, {"ours": "ours cmd"})
    assert "; GPU: NVIDIA H100; GEMM rate" in text
    assert "| peak GPU memory (GB) | 5.00 |" in text
    assert "| same, by the end of training (GB) | 4.00 |" in text
    on_cpu = benchmark.report(args, {"ours": [dict(fake_run(3000, 0.3, 1e9), device="CPU",
                                                   gpu_peak_bytes=None)]}, {"ours": "c"})
    assert "GPU" not in on_cpu


def test_import_rss_grows_with_what_the_import_allocates(tmp_path, monkeypatch):
    # Written bytes, so the pages are resident (calloc'd zeros may not be).
    (tmp_path / "big.py").write_text("payload = b'x' * (200 * 1024 * 1024)\n")
    (tmp_path / "small.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    small = benchmark.import_rss_bytes(sys.executable, "small")
    big = benchmark.import_rss_bytes(sys.executable, "big")
    assert 0 < small and 190e6 < big - small < 260e6
    with pytest.raises(RuntimeError, match="import no_such_module"):
        benchmark.import_rss_bytes(sys.executable, "no_such_module")


def test_missing_interpreters_skip_their_side(tmp_path):
    args = benchmark.parse_args(["--tf1_python", str(tmp_path / "none"),
                                 "--torch_python", str(tmp_path / "none")])
    assert benchmark.side_command("tf1", args) is None
    assert benchmark.side_command("torch", args) is None
    assert benchmark.side_command("ours", args)[1] == os.path.join(
        benchmark.HERE, "translate_bench_ours.py")


def test_unknown_side_is_an_error(capsys):
    assert benchmark.main(["--sides", "ours,jax"]) == 1
    assert "unknown side(s) ['jax']" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("mixed_precision", ["float32", "bfloat16", "float16"])
def test_our_side_runs_a_tiny_configuration(mixed_precision, capsys):
    result = benchmark_ours.main([
        "--size", "8", "--num_layers", "1", "--vocab", "30", "--steps", "4", "--pool", "20",
        "--decode_n", "4", "--decode_batch_n", "8", "--mixed_precision", mixed_precision])
    assert capsys.readouterr().out.startswith("RESULT {")
    assert result["tracing_counts"]["train"] == 1
    assert set(result["median_step_s_per_bucket"]) == {str(b) for b in benchmark_lib.BUCKETS}
    assert result["target_tokens_per_s"] > 0 and result["decode_sentences_per_s"] > 0
    assert result["peak_rss_bytes"] > 0 and result["gemm_flops_per_s"] > 0
    assert result["device"] == "CPU" and result["gpu_peak_bytes"] is None
    assert result["compute_dtype"] == mixed_precision
    # The mixed-precision products' own rate is measured beside float32's.
    assert (result["gemm_compute_flops_per_s"] is None) == (mixed_precision == "float32")
