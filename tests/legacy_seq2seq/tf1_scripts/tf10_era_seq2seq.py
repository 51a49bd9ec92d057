"""A TF 1.0-era seq2seq script: `tf.contrib.rnn.core_rnn_cell` cells, TF 1.0's variable names.

Written against TensorFlow 1.0.1 (cells from `tf.contrib.rnn.core_rnn_cell`, the
module TF 1.0 kept them in; `tf.contrib.legacy_seq2seq.embedding_attention_seq2seq`;
SGD). Its variables have TF 1.0's names (`.../gru_cell/gates/weights`, the cell outside
the `embedding_wrapper` scope), so the losses recorded under TF 1.0.1 are compared with
the port started from the same weights: a checkpoint written by the TF 1.0.1 run, which
the port restores through `legacy_seq2seq.checkpoint_names` (`run(initialize=...)`).
Prints one JSON line: the loss at every step.
"""
import json
import sys

import numpy as np
import tensorflow as tf
from script_support import assign_by_name, bucket_batch, feed_dict, seq2seq_placeholders

ENCODER_LENGTH, DECODER_LENGTH, SIZE, VOCAB, BATCH = 3, 4, 5, 9, 3


def run(steps=3, shared_cell=True, initialize=None, save_initial_to=None):
    """Trains `steps` steps; `initialize(session)` sets the weights (default: by name),
    `save_initial_to` saves them to a checkpoint first."""
    del shared_cell  # one model
    rng = np.random.RandomState(4)
    record = {}
    with tf.Graph().as_default():
        encoder_inputs, decoder_inputs, targets, weights = seq2seq_placeholders(
            tf, ENCODER_LENGTH, DECODER_LENGTH)
        cell = tf.contrib.rnn.core_rnn_cell.MultiRNNCell(
            [tf.contrib.rnn.core_rnn_cell.GRUCell(SIZE) for _ in range(2)])
        outputs, _ = tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, cell, VOCAB, VOCAB, SIZE)
        loss = tf.contrib.legacy_seq2seq.sequence_loss(outputs, targets, weights)
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            (initialize or (lambda s: assign_by_name(s, tf)))(session)
            if save_initial_to:
                tf.train.Saver(tf.trainable_variables()).save(session, save_initial_to,
                                                           write_meta_graph=False)
            feed = feed_dict((encoder_inputs, decoder_inputs, targets, weights),
                             bucket_batch(rng, ENCODER_LENGTH, DECODER_LENGTH, BATCH, VOCAB))
            for step in range(steps):
                value, _ = session.run([loss, train_op], feed)
                record["step%d/loss" % step] = float(value)
    return record


if __name__ == "__main__":
    print(json.dumps(run(save_initial_to=sys.argv[1] if len(sys.argv) > 1 else None)))
