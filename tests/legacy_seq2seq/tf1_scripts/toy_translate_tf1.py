"""A TensorFlow 1.x script: train an attention seq2seq model on a toy task, save, decode.

Written against TF 1.x (`tf.contrib.legacy_seq2seq`, `tf.contrib.rnn`, `tf.nn.rnn_cell`,
placeholders, a Session, a Saver); it runs unmodified under TensorFlow 1.15. The task
is to copy a sequence of symbols in reverse. `tests/legacy_seq2seq/test_contrib_compat.py`
runs it on TensorFlow 2 after the migration steps of `docs/migrating.md` (TF's own
import change or `tf_upgrade_v2`, plus one line for `tf.contrib`).

Usage: python toy_translate_tf1.py OUTPUT_DIR [STEPS]
Prints one JSON line: the first and last training losses, the decode accuracy of the
restored model, and the checkpoint prefix.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

VOCAB = 10
GO, EOS, PAD = 1, 2, 0
ENCODER_LENGTH = 5
DECODER_LENGTH = ENCODER_LENGTH + 1
BATCH = 32


def make_batch(rng):
    """Sources of 5 symbols (3..9); targets are the reversed source then EOS."""
    source = rng.randint(3, VOCAB, [BATCH, ENCODER_LENGTH])
    target = np.concatenate([source[:, ::-1], np.full([BATCH, 1], EOS)], 1)
    decoder_inputs = np.concatenate([np.full([BATCH, 1], GO), target[:, :-1]], 1)
    return source, decoder_inputs, target


def build(feed_previous, keep_prob):
    encoder_inputs = [tf.placeholder(tf.int32, [None], name=f"encoder{i}")
                      for i in range(ENCODER_LENGTH)]
    decoder_inputs = [tf.placeholder(tf.int32, [None], name=f"decoder{i}")
                      for i in range(DECODER_LENGTH)]
    targets = [tf.placeholder(tf.int32, [None], name=f"target{i}")
               for i in range(DECODER_LENGTH)]
    layers = [tf.contrib.rnn.DropoutWrapper(tf.contrib.rnn.GRUCell(32),
                                            output_keep_prob=keep_prob) for _ in range(2)]
    cell = tf.nn.rnn_cell.MultiRNNCell(layers)
    outputs, _ = tf.contrib.legacy_seq2seq.embedding_attention_seq2seq(
        encoder_inputs, decoder_inputs, cell, VOCAB, VOCAB, 16, feed_previous=feed_previous)
    weights = [tf.ones_like(t, dtype=tf.float32) for t in targets]
    loss = tf.contrib.legacy_seq2seq.sequence_loss(outputs, targets, weights)
    return encoder_inputs, decoder_inputs, targets, outputs, loss


def feed(placeholders, arrays):
    result = {}
    for group, array in zip(placeholders, arrays):
        for i, placeholder in enumerate(group):
            result[placeholder] = array[:, i]
    return result


def main():
    out_dir = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        with tf.variable_scope("toy"):
            enc, dec, tgt, _, loss = build(feed_previous=False, keep_prob=0.9)
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
        saver = tf.train.Saver(tf.global_variables())
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            losses = []
            for _ in range(steps):
                step_loss, _ = session.run(
                    [loss, train_op], feed((enc, dec, tgt), make_batch(rng)))
                losses.append(float(step_loss))
            prefix = saver.save(session, os.path.join(out_dir, "toy.ckpt"))

    with tf.Graph().as_default():  # a decode-only graph restored from the checkpoint
        with tf.variable_scope("toy"):
            enc, dec, _, outputs, _ = build(feed_previous=True, keep_prob=1.0)
        model_variables = [v for v in tf.global_variables() if v.op.name.startswith("toy/")]
        with tf.Session() as session:
            tf.train.Saver(model_variables).restore(session, prefix)
            source, decoder_inputs, target = make_batch(rng)
            logits = session.run(outputs, feed((enc, dec), (source, decoder_inputs)))
            decoded = np.stack([np.argmax(step, 1) for step in logits], 1)
    print(json.dumps({
        "first_loss": float(np.mean(losses[:10])),
        "last_loss": float(np.mean(losses[-10:])),
        "accuracy": float(np.mean(decoded == target)),
        "checkpoint": prefix,
    }))


if __name__ == "__main__":
    main()
