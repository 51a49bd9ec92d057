"""The translate tutorial's `seq2seq_model.py` pattern, small: 4 buckets, one shared cell.

`tf.contrib.rnn.MultiRNNCell` of `GRUCell`s, `tf.contrib.legacy_seq2seq.
embedding_attention_seq2seq` through `model_with_buckets`, SGD with gradient clipping per
bucket. The tutorial passes one cell object to every bucket; TF 1.15 crashes on that
(`copy.deepcopy` of a built cell), so the losses recorded under TF 1.15 come from the
variant it runs, a fresh cell per bucket (`run(shared_cell=False)`), which has the same
variables. Prints one JSON line: the loss of every bucket at every step.
"""
import json

import numpy as np
import tensorflow as tf
from script_support import assign_by_name, feed_dict, train_buckets

BUCKETS = [(2, 3), (3, 4), (4, 5), (5, 6)]
SIZE, LAYERS, VOCAB, BATCH = 8, 2, 12, 4


def build(shared_cell):
    encoder_inputs = [tf.placeholder(tf.int32, [None], name="encoder%d" % i)
                      for i in range(BUCKETS[-1][0])]
    decoder_inputs = [tf.placeholder(tf.int32, [None], name="decoder%d" % i)
                      for i in range(BUCKETS[-1][1] + 1)]
    weights = [tf.placeholder(tf.float32, [None], name="weight%d" % i)
               for i in range(BUCKETS[-1][1])]
    targets = decoder_inputs[1:]

    def single_cell():
        return tf.contrib.rnn.GRUCell(SIZE)

    cell = tf.contrib.rnn.MultiRNNCell([single_cell() for _ in range(LAYERS)])

    def seq2seq_f(encoder, decoder):
        bucket_cell = cell if shared_cell else tf.contrib.rnn.MultiRNNCell(
            [single_cell() for _ in range(LAYERS)])
        return tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(
            encoder, decoder, bucket_cell, num_encoder_symbols=VOCAB,
            num_decoder_symbols=VOCAB, embedding_size=SIZE, feed_previous=False)

    _, losses = tf.contrib.legacy_seq2seq.model_with_buckets(
        encoder_inputs, decoder_inputs, targets, weights, BUCKETS, seq2seq_f)
    params = tf.trainable_variables()
    optimizer = tf.train.GradientDescentOptimizer(0.5)
    updates = []
    for loss in losses:
        gradients, _ = tf.clip_by_global_norm(tf.gradients(loss, params), 5.0)
        updates.append(optimizer.apply_gradients(zip(gradients, params)))
    return encoder_inputs, decoder_inputs, weights, losses, updates


def run(steps=2, shared_cell=True):
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        encoder_inputs, decoder_inputs, weights, losses, updates = build(shared_cell)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            assign_by_name(session, tf)

            def make_feed(batch, decoder_length):
                encoder, decoder, _, weight = batch
                feed = feed_dict((encoder_inputs, decoder_inputs, weights),
                                 (encoder, decoder, weight))
                # The targets are decoder_inputs[1:]: the last one needs a feed too.
                feed[decoder_inputs[decoder_length]] = np.zeros(BATCH, np.int32)
                return feed

            return train_buckets(session, losses, updates, BUCKETS, steps, make_feed, rng,
                                 BATCH, VOCAB)


if __name__ == "__main__":
    print(json.dumps(run()))
