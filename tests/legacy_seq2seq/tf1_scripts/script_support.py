"""What the TF 1.x-style scripts here share: weights and batches that do not depend on
the TensorFlow version.

Random initializers draw different numbers under TF 1.x and TF 2 (op seeds depend on
how many ops a graph has), so each script overwrites its trainable variables with
values drawn from a generator seeded by the variable's name. Python 3.6+, TF 1.x or 2.
"""
import zlib

import numpy as np


def assign_by_name(session, tf):
    """Sets every trainable variable to uniform(-0.3, 0.3) values seeded by its name."""
    assignments = []
    for variable in tf.trainable_variables():
        seed = zlib.crc32(variable.op.name.encode("utf-8")) & 0xFFFFFFFF
        shape = variable.get_shape().as_list()
        value = np.random.RandomState(seed).uniform(-0.3, 0.3, shape)
        assignments.append(variable.assign(value.astype(variable.dtype.base_dtype.as_numpy_dtype)))
    session.run(assignments)


def seq2seq_placeholders(tf, encoder_length, decoder_length):
    """Per-step `[batch]` placeholders: encoder inputs, decoder inputs, targets, weights."""
    return ([tf.placeholder(tf.int32, [None]) for _ in range(encoder_length)],
            [tf.placeholder(tf.int32, [None]) for _ in range(decoder_length)],
            [tf.placeholder(tf.int32, [None]) for _ in range(decoder_length)],
            [tf.placeholder(tf.float32, [None]) for _ in range(decoder_length)])


def bucket_batch(rng, encoder_length, decoder_length, batch_size, vocab, go=1):
    """Random token ids: encoder inputs, decoder inputs (GO first), targets and weights,
    each a list over time of `[batch_size]` arrays."""
    encoder = [rng.randint(3, vocab, batch_size).astype(np.int32)
               for _ in range(encoder_length)]
    target = [rng.randint(3, vocab, batch_size).astype(np.int32)
              for _ in range(decoder_length)]
    decoder = [np.full(batch_size, go, np.int32)] + target[:-1]
    weights = [np.ones(batch_size, np.float32) for _ in range(decoder_length)]
    return encoder, decoder, target, weights


def feed_dict(placeholder_lists, value_lists):
    """Pairs each list of per-step placeholders with its list of arrays (the shorter wins)."""
    return {placeholder: value
            for placeholders, values in zip(placeholder_lists, value_lists)
            for placeholder, value in zip(placeholders, values)}


def train_buckets(session, losses, updates, buckets, steps, make_feed, rng, batch_size,
                  vocab):
    """Runs `steps` rounds of one update per bucket on `bucket_batch`es; returns every loss,
    keyed "step<i>/bucket<b>". `make_feed(batch, decoder_length)` builds the feed."""
    record = {}
    for step in range(steps):
        for b, (encoder_length, decoder_length) in enumerate(buckets):
            batch = bucket_batch(rng, encoder_length, decoder_length, batch_size, vocab)
            loss, _ = session.run([losses[b], updates[b]], make_feed(batch, decoder_length))
            record["step%d/bucket%d" % (step, b)] = float(loss)
    return record
