"""A bucketed chatbot in the style of the public TF 1.x chatbots: one shared cell.

The cell (`tf.nn.rnn_cell.MultiRNNCell` of `BasicLSTMCell`s in `DropoutWrapper`s with a
keep probability of 1.0) is made once and used by every bucket's
`tf.contrib.legacy_seq2seq.embedding_rnn_seq2seq` (the function copies it for the
encoder), trained with Adam. The losses recorded under TF 1.15 come from
`run(shared_cell=False)` (a fresh cell per bucket, same variables), since TF 1.15 cannot
copy a built cell. Prints one JSON line: the loss of every bucket at every step.
"""
import json

import numpy as np
import tensorflow as tf
from script_support import assign_by_name, feed_dict, seq2seq_placeholders, train_buckets

BUCKETS = [(3, 4), (5, 6), (7, 8)]
SIZE, VOCAB, BATCH = 6, 15, 3


def make_cell():
    return tf.nn.rnn_cell.MultiRNNCell([
        tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(SIZE),
                                      input_keep_prob=1.0, output_keep_prob=1.0)
        for _ in range(2)])


def run(steps=2, shared_cell=True):
    rng = np.random.RandomState(1)
    with tf.Graph().as_default():
        encoder_inputs, decoder_inputs, targets, weights = seq2seq_placeholders(
            tf, BUCKETS[-1][0], BUCKETS[-1][1])
        shared = make_cell()
        with tf.variable_scope("chatbot"):
            _, losses = tf.contrib.legacy_seq2seq.model_with_buckets(
                encoder_inputs, decoder_inputs, targets, weights, BUCKETS,
                lambda x, y: tf.contrib.legacy_seq2seq.embedding_rnn_seq2seq(
                    x, y, shared if shared_cell else make_cell(), VOCAB, VOCAB, SIZE))
        optimizer = tf.train.AdamOptimizer(0.01)
        updates = [optimizer.minimize(loss) for loss in losses]
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            assign_by_name(session, tf)
            placeholders = (encoder_inputs, decoder_inputs, targets, weights)
            return train_buckets(session, losses, updates, BUCKETS, steps,
                                 lambda batch, _: feed_dict(placeholders, batch),
                                 rng, BATCH, VOCAB)


if __name__ == "__main__":
    print(json.dumps(run()))
