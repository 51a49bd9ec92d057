"""Per-sentence latency and file size of the three export formats, side by side.

Exports one model as a SavedModel, a TFLite file and an ONNX file (`--export_format`), then
translates the same sentences one at a time through each: the SavedModel with TensorFlow
(`translator.translate`), the others through `translate.infer.runtime` (LiteRT, ONNX Runtime),
tokenization and output words included, as `--decode --exported_model` does. Sides alternate
round by round; each prints the median and the 90th percentile of the per-sentence times over
--rounds rounds, the first call (load + first sentence) and the size on disk. Every side's
translations are checked to be identical.

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_export.py [--config gru2_sampled] [--rounds 5] \
        [--beam_size 1]

--config is one of the golden TF 1.15 checkpoints in tests/translate/golden/tf1_ckpt; their 48
inputs (every bucket) are the sentences.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "translate"))
FORMATS = ("savedmodel", "tflite", "onnx")


def _size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
               for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="gru2_sampled")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--beam_size", type=int, default=1)
    args = parser.parse_args()

    from features_testlib import golden_inputs, golden_model

    from translate.infer import runtime
    from translate.infer.export import export_model

    loaded = golden_model(args.config)
    sentences = golden_inputs(args.config)
    work = tempfile.mkdtemp(prefix="bench_export-")
    try:
        paths, translators, first_call = {}, {}, {}
        for export_format in FORMATS:
            directory = os.path.join(work, export_format)
            started = time.perf_counter()
            export_model(loaded.model, loaded.codec, directory, export_format,
                         beam_size=args.beam_size)
            print(f"{export_format}: exported in {time.perf_counter() - started:.1f} s",
                  flush=True)
            paths[export_format] = directory if export_format == "savedmodel" else \
                os.path.join(directory, f"model.{export_format}")
            started = time.perf_counter()
            translators[export_format] = runtime.load_exported(paths[export_format])
            translators[export_format].translate(sentences[0])
            first_call[export_format] = time.perf_counter() - started
        times: dict[str, list[float]] = {f: [] for f in FORMATS}
        outputs: dict[str, list[str]] = {}
        for round_index in range(args.rounds):
            order = FORMATS if round_index % 2 == 0 else FORMATS[::-1]
            for export_format in order:
                translate = translators[export_format].translate
                results = []
                for sentence in sentences:
                    started = time.perf_counter()
                    results.append(translate(sentence))
                    times[export_format].append(time.perf_counter() - started)
                outputs[export_format] = results
        same = all(outputs[f] == outputs["savedmodel"] for f in FORMATS)
        print(f"\n{args.config}, beam {args.beam_size}, {len(sentences)} sentences x "
              f"{args.rounds} rounds, one at a time; identical translations: {same}")
        print(f"{'format':<11} {'median ms':>10} {'p90 ms':>8} {'first call s':>13} "
              f"{'size MB':>8}")
        for export_format in FORMATS:
            ordered = sorted(times[export_format])
            p90 = ordered[int(0.9 * (len(ordered) - 1))]
            print(f"{export_format:<11} {1000 * statistics.median(ordered):>10.2f} "
                  f"{1000 * p90:>8.2f} {first_call[export_format]:>13.2f} "
                  f"{_size(paths[export_format]) / 1e6:>8.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
