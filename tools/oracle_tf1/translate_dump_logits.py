"""Dump the ORIGINAL model's greedy-decoding logits for a golden directory (TF 1.15 only).

For every line of <golden>/decode_input.txt, runs what the original `translate.py --decode`
runs (bucket choice, get_batch, forward-only step) with the patched original sources and the
golden checkpoint, and keeps, at each output position, the 5 largest logits and their ids:
<golden>/decode_top_logits.npz with, per input line i,
    ids_<i>    int32 [decoder_size, 5]    ids of the 5 largest logits, largest first
    values_<i> float32 [decoder_size, 5]  those logits
The tests compare our logits at these ids (a check much finer than equal translations).

    ~/tf1/bin/python tools/oracle_tf1/translate_dump_logits.py \
        --src_dir /tmp/translate_golden_work/src \
        --golden tests/translate/golden/tf1_ckpt/gru2_sampled

--src_dir holds the patched originals (translate_make_golden.py writes them to <work_dir>/src;
it also calls this script for each configuration it makes).
"""
from __future__ import print_function

import argparse
import io
import os
import sys

import numpy as np

TOP_K = 5


def read_flags(golden):
    values = {}
    with io.open(os.path.join(golden, "flags.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            name, _, value = line.lstrip("-").partition("=")
            values[name] = value if value else "true"
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src_dir", required=True)
    parser.add_argument("--golden", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.src_dir))
    import seq2seq_model
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    import data_utils  # the patched original, from --src_dir

    buckets = [(5, 10), (10, 15), (20, 25), (40, 50)]  # the original translate.py's
    flags = read_flags(args.golden)
    from_size, to_size = int(flags["from_vocab_size"]), int(flags["to_vocab_size"])
    with tf.Session() as sess:
        model = seq2seq_model.Seq2SeqModel(
            from_size, to_size, buckets, int(flags["size"]), int(flags["num_layers"]),
            5.0, 1, 0.5, 0.99, use_lstm=flags.get("use_lstm") == "true", forward_only=True)
        ckpt = tf.train.get_checkpoint_state(os.path.join(args.golden, "train"))
        model.saver.restore(sess, os.path.join(args.golden, "train",
                                               os.path.basename(ckpt.model_checkpoint_path)))
        vocab, _ = data_utils.initialize_vocabulary(
            os.path.join(args.golden, "data", "vocab%d.from" % from_size))
        out = {}
        with io.open(os.path.join(args.golden, "decode_input.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, sentence in enumerate(lines):
            token_ids = data_utils.sentence_to_token_ids(tf.compat.as_bytes(sentence), vocab)
            bucket_id = len(buckets) - 1
            for b, bucket in enumerate(buckets):
                if bucket[0] >= len(token_ids):
                    bucket_id = b
                    break
            encoder_inputs, decoder_inputs, target_weights = model.get_batch(
                {bucket_id: [(token_ids, [])]}, bucket_id)
            _, _, logits = model.step(sess, encoder_inputs, decoder_inputs, target_weights,
                                      bucket_id, True)
            logits = np.concatenate(logits, axis=0)  # [decoder_size, vocab]
            ids = np.argsort(-logits, axis=1, kind="stable")[:, :TOP_K]
            out["ids_%d" % i] = ids.astype(np.int32)
            out["values_%d" % i] = np.take_along_axis(logits, ids, axis=1).astype(np.float32)
    np.savez_compressed(os.path.join(args.golden, "decode_top_logits.npz"), **out)
    print("%s: top-%d logits of %d lines" % (args.golden, TOP_K, len(lines)))


if __name__ == "__main__":
    main()
