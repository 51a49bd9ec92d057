"""The classic TensorFlow translate tutorial (attention seq2seq NMT) on TensorFlow 2.

Modules: `translate.translate` (the command line: `python -m translate`), `seq2seq_model`
(the model), `batching`, `checkpoints`, `training`, `decoding`, `demo` (`make demo`).
Checkpoints are compatible both ways with those of the original under TF 1.15.
"""
