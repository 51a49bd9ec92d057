"""A char-rnn language model as the popular TF 1.x char-rnn wrote it.

`from tensorflow.contrib import rnn, legacy_seq2seq`: `rnn.MultiRNNCell` of
`rnn.BasicLSTMCell`s, `legacy_seq2seq.rnn_decoder` in scope "rnnlm" (plus a sampling
graph with a `loop_function`, sharing the variables), `legacy_seq2seq.
sequence_loss_by_example`, Adam with gradient clipping. Prints one JSON line: the
training cost at every step and the sampled logits' sum.
"""
import json

import numpy as np
import tensorflow as tf
from script_support import assign_by_name
from tensorflow.contrib import legacy_seq2seq, rnn

VOCAB, SIZE, LAYERS, BATCH, SEQ = 11, 8, 2, 3, 5


def run(steps=3, shared_cell=True):
    del shared_cell  # one cell, as in the original
    rng = np.random.RandomState(2)
    record = {}
    with tf.Graph().as_default():
        cell = rnn.MultiRNNCell([rnn.BasicLSTMCell(SIZE) for _ in range(LAYERS)],
                                state_is_tuple=True)
        input_data = tf.placeholder(tf.int32, [BATCH, SEQ])
        target_data = tf.placeholder(tf.int32, [BATCH, SEQ])
        initial_state = cell.zero_state(BATCH, tf.float32)
        with tf.variable_scope("rnnlm"):
            softmax_w = tf.get_variable("softmax_w", [SIZE, VOCAB])
            softmax_b = tf.get_variable("softmax_b", [VOCAB])
        embedding = tf.get_variable("embedding", [VOCAB, SIZE])
        inputs = tf.split(tf.nn.embedding_lookup(embedding, input_data), SEQ, 1)
        inputs = [tf.squeeze(input_, [1]) for input_ in inputs]

        def loop(prev, _):
            prev = tf.matmul(prev, softmax_w) + softmax_b
            return tf.nn.embedding_lookup(embedding, tf.stop_gradient(tf.argmax(prev, 1)))

        outputs, _ = legacy_seq2seq.rnn_decoder(inputs, initial_state, cell, scope="rnnlm")
        output = tf.reshape(tf.concat(outputs, 1), [-1, SIZE])
        logits = tf.matmul(output, softmax_w) + softmax_b
        loss = legacy_seq2seq.sequence_loss_by_example(
            [logits], [tf.reshape(target_data, [-1])], [tf.ones([BATCH * SEQ])])
        cost = tf.reduce_sum(loss) / BATCH / SEQ
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(cost, tvars), 5.0)
        train_op = tf.train.AdamOptimizer(0.01).apply_gradients(zip(grads, tvars))
        with tf.variable_scope("rnnlm", reuse=True):
            sampled, _ = legacy_seq2seq.rnn_decoder(inputs, initial_state, cell,
                                                    loop_function=loop, scope="rnnlm")
        sampled_logits = tf.matmul(sampled[-1], softmax_w) + softmax_b
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            assign_by_name(session, tf)
            for step in range(steps):
                x = rng.randint(0, VOCAB, [BATCH, SEQ])
                y = np.roll(x, -1, axis=1)
                value, _ = session.run([cost, train_op], {input_data: x, target_data: y})
                record["step%d/cost" % step] = float(value)
            record["sampled_logits_sum"] = float(np.sum(session.run(
                sampled_logits, {input_data: x})))
    return record


if __name__ == "__main__":
    print(json.dumps(run()))
