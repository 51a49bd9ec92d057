"""The classic TensorFlow translate tutorial (attention seq2seq NMT) on TensorFlow 2.

Checkpoints are compatible both ways with those of the original under TF 1.15.

The command line and its configuration:
  translate.py      the flags and modes (`python -m translate`, `legacy-translate`)
  hparams.py        `HParams`: everything that shapes the model and its optimizer

The model:
  seq2seq_model.py  `Seq2SeqModel`, the tutorial's model: its variables and every graph over
                    them (training and forward steps, greedy and beam search, attention)
  models/           the registry of `--model` (`MODELS`), the interface a model provides
                    (`TranslationModel`), and the variants (`luong`)
  model_setup.py    building the model and restoring it, vocabularies, checked token ids

Training:
  train/            the compiled training step, the NaN policy, `tf.distribute`, the
                    original's training loop
  summaries.py      `--tensorboard`

Inference (infer/):
  interactive.py    the original's `--decode` loop
  batch.py          batched decoding (greedy, beam search, n-best), files
  modes.py          `--decode` with --beam_size, --nbest, --input_file, --attention_plot
  attention_plot.py attention heatmaps
  evaluation.py, metrics.py   `--eval`: BLEU and chrF
  export.py         `--export_dir`: a SavedModel that translates strings, or a TFLite / ONNX
                    file with the decoding loop inside (--export_format)
  runtime.py        `--exported_model`: an export run by its runtime alone (no TensorFlow)

Data and checkpoints:
  batching.py       the original's numpy batches (buckets, padding, reversal, GO)
  datasets.py       the same layout as `tf.data` input (distributed training, export)
  checkpoints.py    crash-safe saving, restoring, TF 1.x names
  demo.py           `make demo`
"""
