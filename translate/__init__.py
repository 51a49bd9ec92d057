"""The classic TensorFlow translate tutorial (attention seq2seq NMT) on TensorFlow 2.

Modules: `translate.translate` (the command line: `python -m translate`), `seq2seq_model`
(the model), `batching`, `checkpoints`, `training`, `decoding`, `demo` (`make demo`).
Opt-in additions: `search` (beam search on the model's variables), `batch_decode` (batched
decoding), `decode_modes` (--beam_size, --nbest, --input_file, --attention_plot),
`evaluation` and `metrics` (--eval: BLEU, chrF), `attention_plot`, `summaries`
(--tensorboard), `export` (--export_dir: SavedModel).
Checkpoints are compatible both ways with those of the original under TF 1.15.
"""
