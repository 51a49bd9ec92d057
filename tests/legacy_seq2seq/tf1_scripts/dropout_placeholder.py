"""A seq2seq wrapper with the usual train/test switch: a keep-probability placeholder.

`tf.contrib.rnn.DropoutWrapper(cell, output_keep_prob=keep_prob)` with `keep_prob` a
`tf.placeholder`, inside `tf.contrib.rnn.MultiRNNCell`, given to
`tf.contrib.legacy_seq2seq.embedding_attention_seq2seq` (which deep-copies the cell, and
with it the wrapper's reference to the placeholder). Trained with keep_prob fed 1.0, so
that the numbers do not depend on random masks; the last entry is the loss with
keep_prob 0.5 and a fixed op seed. Prints one JSON line.
"""
import json

import numpy as np
import tensorflow as tf
from script_support import assign_by_name, bucket_batch, feed_dict, seq2seq_placeholders

ENCODER_LENGTH, DECODER_LENGTH, SIZE, VOCAB, BATCH = 4, 5, 6, 10, 4


def run(steps=3, shared_cell=True):
    del shared_cell  # one model, one cell
    rng = np.random.RandomState(3)
    record = {}
    with tf.Graph().as_default():
        keep_prob = tf.placeholder(tf.float32, [], name="keep_prob")
        encoder_inputs, decoder_inputs, targets, weights = seq2seq_placeholders(
            tf, ENCODER_LENGTH, DECODER_LENGTH)
        cell = tf.contrib.rnn.MultiRNNCell([
            tf.contrib.rnn.DropoutWrapper(tf.contrib.rnn.GRUCell(SIZE),
                                          output_keep_prob=keep_prob, seed=7)
            for _ in range(2)])
        outputs, _ = tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, cell, VOCAB, VOCAB, SIZE)
        loss = tf.contrib.legacy_seq2seq.sequence_loss(outputs, targets, weights)
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            assign_by_name(session, tf)
            feed = feed_dict((encoder_inputs, decoder_inputs, targets, weights),
                             bucket_batch(rng, ENCODER_LENGTH, DECODER_LENGTH, BATCH, VOCAB))
            for step in range(steps):
                feed[keep_prob] = 1.0
                value, _ = session.run([loss, train_op], feed)
                record["step%d/loss" % step] = float(value)
            feed[keep_prob] = 0.5
            record["loss_keep_half"] = float(session.run(loss, feed))
    return record


if __name__ == "__main__":
    print(json.dumps(run()))
