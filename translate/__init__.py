"""The classic TensorFlow translate tutorial (attention seq2seq NMT) on TensorFlow 2.

Checkpoints are compatible both ways with those of the original under TF 1.15.

The command line and its configuration:
  translate.py      the flags and modes (`python -m translate`, `legacy-translate`)
  hparams.py        `HParams`: everything that shapes the model and its optimizer
  recipes.py        `--recipe original|modern`: named sets of flag defaults
  settings.py       settings.json beside the checkpoints, settings inferred from a TF 1.x
                    checkpoint, and the short error for a contradicting flag

The model:
  seq2seq_model.py  `Seq2SeqModel`, the tutorial's model: its variables and every graph over
                    them (training and forward steps, greedy and beam search, attention)
  models/           the registry of `--model` (`MODELS`), the interface a model provides
                    (`TranslationModel`), and the variants (`luong`)
  model_setup.py    building the model and restoring it, vocabularies, checked token ids

Training:
  train/            the compiled training step, the optimizers (sgd, adagrad, adam), the
                    learning-rate schedules, the NaN policy, `tf.distribute`, the original's
                    training loop, validation by dev BLEU (best/, early stopping, averaging)
  summaries.py      `--tensorboard`

Inference (infer/):
  codec.py          a model's vocabularies, word or subword: text to ids, ids to text
                    (no TensorFlow)
  interactive.py    the original's `--decode` loop
  batch.py          batched decoding (greedy, beam search, n-best), files
  modes.py          `--decode` with --beam_size, --nbest, --input_file, --attention_plot
  attention_plot.py attention heatmaps
  unk.py            `--replace_unk`: each _UNK becomes the most-attended source word
  evaluation.py, metrics.py   `--eval` and validation: sacreBLEU (13a, detokenized) and chrF
  export.py         `--export_dir`: a SavedModel that translates strings, or a TFLite / ONNX
                    file with the decoding loop inside (--export_format)
  runtime.py        `--exported_model`: an export run by its runtime alone (no TensorFlow)

Data and checkpoints:
  batching.py       the original's numpy batches (buckets, padding, reversal, GO)
  datasets.py       the same layout as `tf.data` input (distributed training, export)
  checkpoints.py    crash-safe saving, restoring, TF 1.x names
  demo.py           `make demo`
"""
