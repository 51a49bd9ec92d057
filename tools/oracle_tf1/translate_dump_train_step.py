"""Dump two training steps of the ORIGINAL model from a golden checkpoint (TF 1.15 only).

Restores <golden>/train with the patched original `Seq2SeqModel` (forward_only=False), runs
one SGD step on a fixed batch of bucket 0 and one on a fixed batch of bucket 1, and writes
<golden>/train_steps.npz:
    encoder_<k>, decoder_<k>, weights_<k>   the batch of step k (k = 0, 1), time-major
    bucket_<k>, norm_<k>, loss_<k>           its bucket, gradient norm and loss
    names                                    every variable name, sorted
    delta_norm, delta_sum                    per name: L2 norm and sum of (after - before)
    global_step, learning_rate               after the two steps
Only meaningful for a full-softmax configuration (to_vocab_size <= 512): sampled softmax
draws random classes, so its loss is not reproducible.

    ~/tf1/bin/python tools/oracle_tf1/translate_dump_train_step.py \
        --src_dir /tmp/translate_golden_work/src \
        --golden tests/translate/golden/tf1_ckpt/lstm1_full
"""
from __future__ import print_function

import argparse
import os
import random
import sys

import numpy as np
from translate_dump_logits import read_flags

BATCH_SIZE = 8


def fake_bucket_data(rng, bucket, from_size, to_size, count):
    """`count` random (source, target + EOS) pairs that fit `bucket`."""
    pairs = []
    for _ in range(count):
        source = rng.randint(4, from_size, size=rng.randint(1, bucket[0])).tolist()
        target = rng.randint(4, to_size, size=rng.randint(1, bucket[1] - 1)).tolist() + [2]
        pairs.append((source, target))
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src_dir", required=True)
    parser.add_argument("--golden", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.src_dir))
    import seq2seq_model  # the patched original, from --src_dir
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    buckets = [(5, 10), (10, 15), (20, 25), (40, 50)]
    flags = read_flags(args.golden)
    from_size, to_size = int(flags["from_vocab_size"]), int(flags["to_vocab_size"])
    rng = np.random.RandomState(0)
    random.seed(0)
    out = {}
    with tf.Session() as sess:
        model = seq2seq_model.Seq2SeqModel(
            from_size, to_size, buckets, int(flags["size"]), int(flags["num_layers"]),
            5.0, BATCH_SIZE, 0.5, 0.99, use_lstm=flags.get("use_lstm") == "true",
            forward_only=False)
        ckpt = tf.train.get_checkpoint_state(os.path.join(args.golden, "train"))
        model.saver.restore(sess, os.path.join(args.golden, "train",
                                               os.path.basename(ckpt.model_checkpoint_path)))
        variables = {v.op.name: v for v in tf.global_variables()}
        before = sess.run(variables)
        for k, bucket_id in enumerate((0, 1)):
            data = {bucket_id: fake_bucket_data(rng, buckets[bucket_id], from_size, to_size, 20)}
            encoder, decoder, weights = model.get_batch(data, bucket_id)
            norm, loss, _ = model.step(sess, encoder, decoder, weights, bucket_id, False)
            out["encoder_%d" % k] = np.array(encoder, dtype=np.int32)
            out["decoder_%d" % k] = np.array(decoder, dtype=np.int32)
            out["weights_%d" % k] = np.array(weights, dtype=np.float32)
            out["bucket_%d" % k] = np.int32(bucket_id)
            out["norm_%d" % k] = np.float32(norm)
            out["loss_%d" % k] = np.float32(loss)
        after = sess.run(variables)
    names = sorted(variables)
    delta = [np.asarray(after[n], np.float64) - np.asarray(before[n], np.float64) for n in names]
    out["names"] = np.array(names)
    out["delta_norm"] = np.array([np.sqrt(np.sum(d * d)) for d in delta])
    out["delta_sum"] = np.array([np.sum(d) for d in delta])
    out["global_step"] = np.int32(after["Variable_1"])
    out["learning_rate"] = np.float32(after["Variable"])
    np.savez_compressed(os.path.join(args.golden, "train_steps.npz"), **out)
    print("%s: losses %s %s, norms %s %s" % (args.golden, out["loss_0"], out["loss_1"],
                                            out["norm_0"], out["norm_1"]))


if __name__ == "__main__":
    main()
