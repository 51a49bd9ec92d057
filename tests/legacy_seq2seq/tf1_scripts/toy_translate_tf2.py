"""`toy_translate_tf1.py` rewritten for TensorFlow 2: eager code, `tf.function`, a `Template`.

The same model, variables (same TF 1.x names, so checkpoints go both ways) and task;
the graph, placeholders and Session are gone. Decoding uses the library's beam search.
See `docs/migrating.md`.

Usage: python toy_translate_tf2.py OUTPUT_DIR [STEPS]
Prints one JSON line like `toy_translate_tf1.py`.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

import legacy_seq2seq as seq2seq
from legacy_seq2seq import rnn_cell

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


def time_major(ids):
    """`[batch, time]` ids -> the list of `[batch]` tensors the library takes."""
    return [tf.constant(ids[:, t], tf.int32) for t in range(ids.shape[1])]


def model(encoder_inputs, decoder_inputs=None, keep_prob=1.0, beam_size=None):
    """Logits per step (teacher forcing), or with `beam_size` the beam search result."""
    with tf.compat.v1.variable_scope("toy"):
        layers = [rnn_cell.DropoutWrapper(rnn_cell.GRUCell(32), output_keep_prob=keep_prob)
                  for _ in range(2)]
        cell = rnn_cell.MultiRNNCell(layers)
        if beam_size is not None:
            return seq2seq.embedding_attention_beam_search(
                encoder_inputs, cell, VOCAB, VOCAB, 16, beam_size=beam_size,
                max_length=DECODER_LENGTH, go_id=GO, eos_id=EOS)
        outputs, _ = seq2seq.embedding_attention_seq2seq(
            encoder_inputs, decoder_inputs, cell, VOCAB, VOCAB, 16)
        return outputs


def main():
    out_dir = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = np.random.RandomState(0)
    tf.random.set_seed(0)
    net = seq2seq.Template(model)
    optimizer = tf.keras.optimizers.Adam(0.01)

    @tf.function
    def train_step(source, decoder_inputs, targets):
        weights = [tf.ones_like(t, dtype=tf.float32) for t in targets]
        with tf.GradientTape() as tape:
            logits = net(source, decoder_inputs, keep_prob=0.9)
            loss = seq2seq.sequence_loss(logits, targets, weights)
        variables = net.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    losses = []
    for _ in range(steps):
        source, decoder_inputs, target = make_batch(rng)
        losses.append(float(train_step(*map(time_major, (source, decoder_inputs, target)))))
    # A name-keyed checkpoint, as TF 1.x's Saver wrote it.
    prefix = tf.compat.v1.train.Saver(net.variables_by_name).save(
        None, os.path.join(out_dir, "toy.ckpt"))

    restored = seq2seq.Template(model)  # a fresh model, loaded from the checkpoint
    source, _, target = make_batch(rng)
    decode = tf.function(lambda source: restored(source, beam_size=4))
    decode(time_major(source))  # the first call creates the variables
    restored.load_tf1_checkpoint(prefix)
    best = decode(time_major(source)).tokens.numpy()[:, 0]  # EOS-padded, best first
    print(json.dumps({
        "first_loss": float(np.mean(losses[:10])),
        "last_loss": float(np.mean(losses[-10:])),
        "accuracy": float(np.mean(best == target)),
        "checkpoint": prefix,
    }))


if __name__ == "__main__":
    main()
