"""TF 1.15 side of `benchmarks/translate_bench.py`: the tutorial's model, timed (Python 3.7).

Builds the translate tutorial's model with the real `tf.contrib.legacy_seq2seq` under
TensorFlow 1.15: stacked GRU cells, `embedding_attention_seq2seq` per bucket through
`model_with_buckets` (statically unrolled graphs), sampled softmax through `proj_w`/`proj_b`
(`tf.nn.sampled_softmax_loss` per decoder position) when the vocabulary exceeds the samples,
and per bucket an SGD update of the gradients clipped to a global norm of 5. It then times
training and greedy decoding with the protocol of `benchmarks/translate_bench_lib.py` (loaded from
its file, so the random data and batches are the same as the other sides'), and prints one
line `RESULT {json}` with the same fields as `benchmarks/translate_bench_ours.py`.

    ~/tf1/bin/python tools/oracle_tf1/translate_bench_tf1.py --config S --steps 40

Decoding builds a second graph with `feed_previous=True` and runs a bucket's whole decoder
length, as the tutorial's `decode()` does (one sentence at a time, then in batches).
"""
from __future__ import print_function

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

IMPORT_S = time.perf_counter() - T_START
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "translate_bench_lib", os.path.join(ROOT, "benchmarks", "translate_bench_lib.py"))
lib = importlib.util.module_from_spec(_spec)
sys.modules["translate_bench_lib"] = lib  # dataclasses look their module up
_spec.loader.exec_module(lib)

PAD_ID, GO_ID = 0, 1
legacy_seq2seq = tf.contrib.legacy_seq2seq


class TutorialModel(object):
    """The tutorial's graph for every bucket: placeholders, outputs, losses, updates."""

    def __init__(self, config, forward_only):
        self.config = config
        self.encoder_inputs = [tf.placeholder(tf.int32, [None], name="encoder%d" % i)
                               for i in range(lib.BUCKETS[-1][0])]
        self.decoder_inputs = [tf.placeholder(tf.int32, [None], name="decoder%d" % i)
                               for i in range(lib.BUCKETS[-1][1] + 1)]
        self.target_weights = [tf.placeholder(tf.float32, [None], name="weight%d" % i)
                               for i in range(lib.BUCKETS[-1][1] + 1)]
        targets = self.decoder_inputs[1:]
        projection, loss_function = None, None
        if config.sampled:
            w_t = tf.get_variable("proj_w", [config.vocab, config.size])
            b = tf.get_variable("proj_b", [config.vocab])
            projection = (tf.transpose(w_t), b)

            def loss_function(labels, logits):
                return tf.nn.sampled_softmax_loss(
                    weights=w_t, biases=b, labels=tf.reshape(labels, [-1, 1]), inputs=logits,
                    num_sampled=config.num_samples, num_classes=config.vocab)

        def seq2seq(encoder, decoder):
            cell = tf.nn.rnn_cell.MultiRNNCell(
                [tf.nn.rnn_cell.GRUCell(config.size) for _ in range(config.num_layers)])
            return legacy_seq2seq.embedding_attention_seq2seq(
                encoder, decoder, cell, num_encoder_symbols=config.vocab,
                num_decoder_symbols=config.vocab, embedding_size=config.size,
                output_projection=projection, feed_previous=forward_only)

        self.outputs, self.losses = legacy_seq2seq.model_with_buckets(
            self.encoder_inputs, self.decoder_inputs, targets, self.target_weights,
            list(lib.BUCKETS), seq2seq, softmax_loss_function=loss_function)
        if forward_only and projection is not None:
            self.outputs = [[tf.matmul(o, projection[0]) + projection[1] for o in bucket]
                            for bucket in self.outputs]
        self.updates = []
        if not forward_only:
            params = tf.trainable_variables()
            optimizer = tf.train.GradientDescentOptimizer(0.5)
            for loss in self.losses:
                clipped, _ = tf.clip_by_global_norm(tf.gradients(loss, params), 5.0)
                self.updates.append(optimizer.apply_gradients(zip(clipped, params)))

    def feed(self, bucket_id, encoder, decoder, weights):
        encoder_size, decoder_size = lib.BUCKETS[bucket_id]
        feed = {}
        for i in range(encoder_size):
            feed[self.encoder_inputs[i].name] = encoder[i]
        for i in range(decoder_size):
            feed[self.decoder_inputs[i].name] = decoder[i]
            feed[self.target_weights[i].name] = weights[i]
        feed[self.decoder_inputs[decoder_size].name] = np.zeros_like(decoder[0])
        return feed


def get_batch(pairs, bucket_id, batch_size):
    """The tutorial's batch layout from `batch_size` pairs drawn with `random.choice`."""
    return make_batch([random.choice(pairs) for _ in range(batch_size)], bucket_id)


def make_batch(rows, bucket_id):
    """Time-major encoder (padded, reversed), decoder (GO, target, padding) and weights."""
    encoder_size, decoder_size = lib.BUCKETS[bucket_id]
    batch_size = len(rows)
    encoder = np.zeros((encoder_size, batch_size), np.int32)
    decoder = np.zeros((decoder_size, batch_size), np.int32)
    for i, (source, target) in enumerate(rows):
        encoder[:, i] = list(reversed(source + [PAD_ID] * (encoder_size - len(source))))
        decoder[:, i] = [GO_ID] + target + [PAD_ID] * (decoder_size - len(target) - 1)
    weights = np.zeros((decoder_size, batch_size), np.float32)
    weights[:-1] = decoder[1:] != PAD_ID
    return encoder, decoder, weights


def decode_batch(session, model, sentences, bucket_id):
    """Greedy outputs (cut before EOS) of sentences of one bucket, one graph run."""
    encoder, decoder, weights = make_batch([(s, []) for s in sentences], bucket_id)
    logits = session.run(model.outputs[bucket_id],
                         model.feed(bucket_id, encoder, decoder, weights))
    tokens = np.argmax(np.stack(logits), axis=2).T
    outputs = []
    for row in tokens:
        row = row.tolist()
        outputs.append(row[:row.index(lib.EOS_ID)] if lib.EOS_ID in row else row)
    return outputs


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=sorted(lib.CONFIGS), default="S")
    parser.add_argument("--size", type=int)
    parser.add_argument("--num_layers", type=int)
    parser.add_argument("--vocab", type=int)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--decode_n", type=int, default=50)
    parser.add_argument("--decode_batch_n", type=int, default=512)
    parser.add_argument("--decode_batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    base = lib.CONFIGS[args.config]
    config = lib.ModelConfig(size=args.size or base.size,
                             num_layers=args.num_layers or base.num_layers,
                             vocab=args.vocab or base.vocab, batch=args.batch)
    random.seed(args.seed)
    np.random.seed(args.seed)
    data = lib.make_pairs(config.vocab, args.pool, args.seed)

    start = time.perf_counter()
    train_graph = tf.Graph()
    with train_graph.as_default():
        tf.set_random_seed(args.seed)
        model = TutorialModel(config, forward_only=False)
        init = tf.global_variables_initializer()
    session = tf.Session(graph=train_graph)
    session.run(init)
    build_s = time.perf_counter() - start
    first_step_s = None
    for bucket_id in range(len(lib.BUCKETS)):
        batch = get_batch(data[bucket_id], bucket_id, config.batch)
        session.run([model.updates[bucket_id], model.losses[bucket_id]],
                    model.feed(bucket_id, *batch))
        if first_step_s is None:
            first_step_s = time.perf_counter() - start
    ready_after_import_s = time.perf_counter() - start
    ready_s = time.perf_counter() - T_START

    per_bucket = {b: [] for b in range(len(lib.BUCKETS))}
    tokens = 0
    loss = float("nan")
    timed_start = time.perf_counter()
    for i in range(args.steps):
        bucket_id = i % len(lib.BUCKETS)
        step_start = time.perf_counter()
        batch = get_batch(data[bucket_id], bucket_id, config.batch)
        _, loss = session.run([model.updates[bucket_id], model.losses[bucket_id]],
                              model.feed(bucket_id, *batch))
        per_bucket[bucket_id].append(time.perf_counter() - step_start)
        tokens += int(np.sum(batch[2]))
    timed_s = time.perf_counter() - timed_start
    session.close()

    decode_graph = tf.Graph()
    with decode_graph.as_default():
        tf.set_random_seed(args.seed + 1)
        model = TutorialModel(config, forward_only=True)
        init = tf.global_variables_initializer()
    session = tf.Session(graph=decode_graph)
    session.run(init)
    for bucket_id, (source_max, _) in enumerate(lib.BUCKETS):
        decode_batch(session, model, [[5] * source_max], bucket_id)
    sentences = lib.decode_sentences(config.vocab, args.decode_n, args.seed)
    output_tokens = 0
    decode_start = time.perf_counter()
    for sentence in sentences:
        output_tokens += len(decode_batch(session, model, [sentence], lib.bucket_of(sentence))[0])
    decode_s = time.perf_counter() - decode_start
    batched = lib.decode_sentences(config.vocab, args.decode_batch_n, args.seed)
    by_bucket = {}
    for sentence in batched:
        by_bucket.setdefault(lib.bucket_of(sentence), []).append(sentence)
    batched_start = time.perf_counter()
    for bucket_id, group in sorted(by_bucket.items()):
        for first in range(0, len(group), args.decode_batch):
            decode_batch(session, model, group[first:first + args.decode_batch], bucket_id)
    batched_s = time.perf_counter() - batched_start
    session.close()

    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [None, None])
        b = tf.placeholder(tf.float32, [None, None])
        product = tf.matmul(a, b)
        with tf.Session() as matmul_session:
            class Run(object):
                def __init__(self, value):
                    self.value = value

                def numpy(self):
                    return self.value

            gemm = lib.measure_gemm_rate(
                lambda x, y: Run(matmul_session.run(product, {a: x, b: y})))

    lib.print_result(
        config, args.steps, per_bucket, tokens, timed_s, len(sentences), decode_s,
        len(batched), batched_s,
        impl="tf" + tf.__version__ + "-legacy_seq2seq", import_s=IMPORT_S, build_s=build_s,
        first_step_s=first_step_s, ready_after_import_s=ready_after_import_s, ready_s=ready_s,
        last_loss=float(loss), decode_output_tokens=output_tokens,
        decode_batch=args.decode_batch, gemm_flops_per_s=gemm)


if __name__ == "__main__":
    main()
