"""Training: one step engine, its strategy variant, the NaN policy and the original's loop.

Modules:
  `trainer`     the compiled training step (gradients, the NaN policy, the update): `Trainer`
                on one device, `StrategyTrainer` under a `tf.distribute` strategy; also the
                interface a model provides to be trained (`TrainableModel`).
  `nan_policy`  `--nan_policy stop|skip-batch`: what a NaN or infinite loss does.
  `distribute`  `--distribution_strategy`: making the strategy, TF_CONFIG, the chief.
  `loop`        the original's training loop (`TrainConfig`, `train`): buckets drawn by size,
                log, decay, checkpoint, eval.
  `progress`    the progress bar between checkpoints.

The input comes from `translate.batching` (the original's numpy batches, one device) and
`translate.datasets` (`tf.data`, under a strategy).
"""
