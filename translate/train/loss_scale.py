"""Dynamic loss scaling, for training that computes in float16 (`--mixed_precision float16`).

float16 keeps 10 bits of mantissa and no value under 6e-8: the small gradients of a recurrent
model's early time steps round to zero. Multiplying the loss by a large scale S before the
backward pass lifts every gradient by S into float16's range; the gradients of the float32
variables are then divided by S again. A scale too large overflows instead: the step's
gradients hold inf or NaN, its update is skipped and S is halved. After `growth_interval`
updates in a row without overflow, S is doubled, so it stays near the largest safe value
(Micikevicius et al. 2018, "Mixed Precision Training"; the same policy as Keras's
`LossScaleOptimizer`).

The scale is not saved in checkpoints (their variables stay the original's): a resumed run
starts again at `initial_scale` and finds its level within a few skipped steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from translate.train.trainer import scale_gradients

INITIAL_SCALE = 2.0 ** 15
GROWTH_INTERVAL = 2000


class DynamicLossScale:
    """The loss scale of float16 training and its update rule.

    Args:
      initial_scale: the first scale S (a power of two keeps the scaling exact).
      growth_interval: S doubles after this many consecutive steps with finite gradients.

    Attributes:
      scale: float32 variable, the current S; never below 1.
      good_steps: int64 variable, consecutive steps with finite gradients since S last changed.

    Raises:
      ValueError: `initial_scale` under 1 or `growth_interval` under 1.
    """

    def __init__(self, initial_scale: float = INITIAL_SCALE,
                 growth_interval: int = GROWTH_INTERVAL):
        if initial_scale < 1:
            raise ValueError(f"the initial loss scale must be at least 1, got {initial_scale}")
        if growth_interval < 1:
            raise ValueError(f"the growth interval must be at least 1, got {growth_interval}")
        self.growth_interval = growth_interval
        self.scale = tf.Variable(float(initial_scale), trainable=False, dtype=tf.float32,
                                 name="loss_scale")
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64,
                                      name="loss_scale_good_steps")

    def scale_loss(self, loss: tf.Tensor) -> tf.Tensor:
        """`loss * S`, in the loss's dtype."""
        return loss * tf.cast(self.scale, loss.dtype)

    def unscale(self, gradients: Sequence) -> list:
        """The gradients of a scaled loss divided by S (`tf.IndexedSlices` and None kept)."""
        return scale_gradients(gradients, 1.0 / self.scale)

    def update(self, finite: tf.Tensor) -> tf.Tensor:
        """Adjusts S after a step: halves it (not under 1) when the gradients were not
        `finite`, doubles it after `growth_interval` finite steps in a row.

        Args:
          finite: bool scalar, whether the step's gradients were all finite.

        Returns:
          The new scale.
        """
        grown = tf.equal(self.good_steps + 1, self.growth_interval)
        new_scale = tf.where(finite, tf.where(grown, self.scale * 2.0, self.scale),
                             tf.maximum(self.scale * 0.5, 1.0))
        new_good = tf.where(tf.logical_and(finite, tf.logical_not(grown)),
                            self.good_steps + 1, tf.zeros_like(self.good_steps))
        self.good_steps.assign(new_good)
        return self.scale.assign(new_scale)
