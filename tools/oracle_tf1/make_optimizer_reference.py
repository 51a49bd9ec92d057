"""Reference numbers of TF 1.15's Adam and Adagrad optimizers for `--optimizer`.

Run with TF 1.15 (not needed at test time):

    ~/tf1/bin/python tools/oracle_tf1/make_optimizer_reference.py \\
        tests/translate/golden/optimizers.npz

Applies three steps of each optimizer, at learning rate 0.01, to a dense variable [3, 4]
(dense gradients) and an embedding-like variable [5, 2] (sparse gradients from gathers with
a repeated row), from fixed starting values and gradients, and records every variable after
every step together with the slot variables' names in the checkpoint that TF 1.15 writes.
"""

import sys

import numpy as np
import tensorflow as tf

STEPS = 3


def main(path):
    rng = np.random.RandomState(7)
    dense0 = rng.randn(3, 4).astype(np.float32)
    table0 = rng.randn(5, 2).astype(np.float32)
    dense_grads = rng.randn(STEPS, 3, 4).astype(np.float32)
    ids = np.array([[0, 3, 3], [1, 1, 4], [2, 0, 0]], np.int32)  # repeated rows per step
    row_grads = rng.randn(STEPS, 3, 2).astype(np.float32)
    out = {"dense0": dense0, "table0": table0, "dense_grads": dense_grads, "ids": ids,
           "row_grads": row_grads}
    for name, make in (("adam", lambda: tf.train.AdamOptimizer(0.01)),
                       ("adagrad", lambda: tf.train.AdagradOptimizer(0.01))):
        graph = tf.Graph()
        with graph.as_default():
            dense = tf.get_variable("dense", initializer=dense0)
            table = tf.get_variable("table", initializer=table0)
            g = tf.placeholder(tf.float32, [3, 4])
            step_ids = tf.placeholder(tf.int32, [3])
            rows = tf.placeholder(tf.float32, [3, 2])
            # A loss whose gradients are exactly g (dense) and rows at step_ids (sparse).
            loss = (tf.reduce_sum(dense * g)
                    + tf.reduce_sum(tf.gather(table, step_ids) * rows))
            train = make().minimize(loss)
            saver = tf.train.Saver()
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for t in range(STEPS):
                    sess.run(train, {g: dense_grads[t], step_ids: ids[t], rows: row_grads[t]})
                    out[f"{name}_dense_{t}"], out[f"{name}_table_{t}"] = sess.run([dense, table])
                prefix = saver.save(sess, "/tmp/optimizer_reference/" + name)
            names = sorted(n for n, _ in tf.train.list_variables(prefix))
            out[f"{name}_checkpoint_names"] = np.array(names)
    np.savez(path, **out)
    print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1])
