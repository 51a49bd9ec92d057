"""Dump the ORIGINAL translate.py's data reading, bucket choice and batches (TF 1.15 only).

Writes tests/translate/golden/tf1_batches/:
    source.ids, target.ids   a small token-id corpus (fixed, made here from a seeded RNG),
                             with empty lines and pairs longer than every bucket
    batches.npz              what the original made of it:
      bucket_sizes[max_size]     sizes of the buckets of read_data(..., max_size), for
                                 max_size in MAX_SIZES
      bucket_<b>_<i>             the i-th pair of bucket b (no max_size) as
                                 [len(source), *source, *target]
      scale                      train_buckets_scale
      chosen                     50 bucket ids drawn as the training loop draws them after
                                 np.random.seed(7)
      enc_<b>, dec_<b>, w_<b>    get_batch(data, b) with batch_size 16 after random.seed(b),
                                 time-major
      trunc_enc, trunc_dec, trunc_w  get_batch of a 45-token sentence in the last bucket
                                 with batch_size 1 (what --decode feeds for a long line)

    ~/tf1/bin/python tools/oracle_tf1/translate_dump_batches.py --src_dir /tmp/orig_translate
"""
from __future__ import print_function

import argparse
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_SIZES = (0, 1, 37, 150)


def write_corpus(out_dir):
    rng = np.random.RandomState(3)
    src_lines, tgt_lines = [], []
    for i in range(300):
        if i % 50 == 7:
            src_len, tgt_len = 0, rng.randint(0, 5)
        elif i % 40 == 3:
            src_len, tgt_len = rng.randint(40, 60), rng.randint(1, 10)
        else:
            src_len, tgt_len = rng.randint(1, 30), rng.randint(1, 35)
        src_lines.append(" ".join(str(x) for x in rng.randint(3, 100, size=src_len)))
        tgt_lines.append(" ".join(str(x) for x in rng.randint(3, 100, size=tgt_len)))
    paths = (os.path.join(out_dir, "source.ids"), os.path.join(out_dir, "target.ids"))
    for path, lines in zip(paths, (src_lines, tgt_lines)):
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src_dir", default="/tmp/orig_translate",
                        help="directory with the original translate.py, seq2seq_model.py, "
                             "data_utils.py")
    parser.add_argument("--out_dir",
                        default=os.path.join(ROOT, "tests", "translate", "golden", "tf1_batches"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.src_dir))
    import seq2seq_model

    import translate  # the original module: read_data and _buckets

    if not os.path.isdir(args.out_dir):
        os.makedirs(args.out_dir)
    source_path, target_path = write_corpus(args.out_dir)
    out = {"bucket_sizes": np.array(
        [[len(b) for b in translate.read_data(source_path, target_path, m)] for m in MAX_SIZES])}
    data = translate.read_data(source_path, target_path)
    for b, pairs in enumerate(data):
        for i, (source, target) in enumerate(pairs):
            out["bucket_%d_%d" % (b, i)] = np.array([len(source)] + source + target)
    sizes = [len(b) for b in data]
    total = float(sum(sizes))
    scale = [sum(sizes[:i + 1]) / total for i in range(len(sizes))]
    out["scale"] = np.array(scale)
    np.random.seed(7)
    chosen = []
    for _ in range(50):
        r = np.random.random_sample()
        chosen.append(min([i for i in range(len(scale)) if scale[i] > r]))
    out["chosen"] = np.array(chosen)

    # get_batch only reads self.buckets and self.batch_size.
    class Holder(object):
        buckets = translate._buckets
        batch_size = 16

    holder = Holder()
    for b in range(len(data)):
        random.seed(b)
        enc, dec, w = seq2seq_model.Seq2SeqModel.get_batch(holder, data, b)
        out["enc_%d" % b], out["dec_%d" % b], out["w_%d" % b] = (
            np.array(enc), np.array(dec), np.array(w))
    holder.batch_size = 1
    long_sentence = list(range(4, 49))
    enc, dec, w = seq2seq_model.Seq2SeqModel.get_batch(holder, {3: [(long_sentence, [])]}, 3)
    out["trunc_enc"], out["trunc_dec"], out["trunc_w"] = np.array(enc), np.array(dec), np.array(w)
    np.savez_compressed(os.path.join(args.out_dir, "batches.npz"), **out)
    print("bucket sizes", out["bucket_sizes"].tolist())


if __name__ == "__main__":
    main()
