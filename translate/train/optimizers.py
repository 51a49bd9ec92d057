"""The update rules of `--optimizer`: sgd (the original's), adagrad and adam.

An optimizer updates the model's trainable variables from their (clipped) gradients at the
model's learning rate; `Seq2SeqModel.apply_gradients` calls it inside the compiled training
step. Its slot variables are checkpointed with the model under TF 1.x's names
(`<variable>/Adagrad`, `<variable>/Adam`, `<variable>/Adam_1`), so training resumes with its
state; a checkpoint of another optimizer is refused by name like any other mismatch.

  SGD        var -= lr * grad; a sparse (embedding) gradient is summed per row and scattered,
             as TF 1.x's GradientDescentOptimizer did (the original's numbers)
  Adagrad    TF 1.x's AdagradOptimizer (accumulators start at 0.1)
  Adam       Kingma & Ba 2015 with TF 1.x's epsilon placement (beta1 0.9, beta2 0.999,
             epsilon 1e-8); embedding gradients are applied densely, so every row's moments
             decay at every step, as TF 1.x's AdamOptimizer did
  make_optimizer   the optimizer of a name
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf

from translate.hparams import OPTIMIZERS


def _summed_rows(grad: tf.IndexedSlices) -> tuple[tf.Tensor, tf.Tensor]:
    """(values, unique indices): rows gathered more than once in a batch are summed."""
    indices, positions = tf.unique(grad.indices)
    values = tf.math.unsorted_segment_sum(grad.values, positions, tf.shape(indices)[0])
    return values, indices


class SGD:
    """Plain gradient descent (the original's optimizer); no slots.

    Args:
      params: trainable variables by checkpoint name, in the model's order.
    """

    name = "sgd"

    def __init__(self, params: Mapping[str, tf.Variable]):
        self.params = list(params.values())

    @property
    def slots(self) -> dict[str, tf.Variable]:
        """The optimizer's variables by checkpoint name (to save with the model)."""
        return {}

    def apply(self, gradients: Sequence[tf.Tensor | tf.IndexedSlices | None],
              learning_rate: tf.Tensor, step: tf.Tensor) -> None:
        """One update of every variable with a gradient.

        Args:
          gradients: one per variable (None: not updated).
          learning_rate: scalar, the rate of this step.
          step: int, updates applied before this one (Adam's bias correction).
        """
        del step
        for var, grad in zip(self.params, gradients):
            if grad is None:
                continue
            rate = tf.cast(learning_rate, var.dtype)
            if isinstance(grad, tf.IndexedSlices):
                values, indices = _summed_rows(grad)
                var.scatter_sub(tf.IndexedSlices(values * rate, indices))
            else:
                tf.raw_ops.ResourceApplyGradientDescent(var=var.handle, alpha=rate, delta=grad)


class Adagrad(SGD):
    """TF 1.x's AdagradOptimizer: accum += grad^2; var -= lr * grad / sqrt(accum)."""

    name = "adagrad"
    initial_accumulator = 0.1

    def __init__(self, params: Mapping[str, tf.Variable]):
        super().__init__(params)
        self._accumulators = {
            f"{name}/Adagrad": tf.Variable(
                tf.fill(var.shape, tf.cast(self.initial_accumulator, var.dtype)),
                trainable=False, name=f"{name}/Adagrad")
            for name, var in params.items()}

    @property
    def slots(self) -> dict[str, tf.Variable]:
        return dict(self._accumulators)

    def apply(self, gradients: Sequence[tf.Tensor | tf.IndexedSlices | None],
              learning_rate: tf.Tensor, step: tf.Tensor) -> None:
        del step
        for var, accum, grad in zip(self.params, self._accumulators.values(), gradients):
            if grad is None:
                continue
            rate = tf.cast(learning_rate, var.dtype)
            if isinstance(grad, tf.IndexedSlices):
                values, indices = _summed_rows(grad)
                tf.raw_ops.ResourceSparseApplyAdagrad(
                    var=var.handle, accum=accum.handle, lr=rate, grad=values, indices=indices)
            else:
                tf.raw_ops.ResourceApplyAdagrad(var=var.handle, accum=accum.handle, lr=rate,
                                                grad=grad)


class Adam(SGD):
    """TF 1.x's AdamOptimizer (beta1 0.9, beta2 0.999, epsilon 1e-8)."""

    name = "adam"
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8

    def __init__(self, params: Mapping[str, tf.Variable]):
        super().__init__(params)
        self._moments = []
        self._slots = {}
        for name, var in params.items():
            pair = tuple(tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False,
                                     name=f"{name}/{suffix}") for suffix in ("Adam", "Adam_1"))
            self._moments.append(pair)
            self._slots[f"{name}/Adam"], self._slots[f"{name}/Adam_1"] = pair

    @property
    def slots(self) -> dict[str, tf.Variable]:
        return dict(self._slots)

    def apply(self, gradients: Sequence[tf.Tensor | tf.IndexedSlices | None],
              learning_rate: tf.Tensor, step: tf.Tensor) -> None:
        t = tf.cast(step, tf.float32) + 1.0
        beta1_power, beta2_power = self.beta1 ** t, self.beta2 ** t
        for var, (m, v), grad in zip(self.params, self._moments, gradients):
            if grad is None:
                continue
            dtype = var.dtype
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle, m=m.handle, v=v.handle,
                beta1_power=tf.cast(beta1_power, dtype), beta2_power=tf.cast(beta2_power, dtype),
                lr=tf.cast(learning_rate, dtype), beta1=tf.cast(self.beta1, dtype),
                beta2=tf.cast(self.beta2, dtype), epsilon=tf.cast(self.epsilon, dtype),
                grad=tf.convert_to_tensor(grad))


_OPTIMIZERS = {cls.name: cls for cls in (SGD, Adagrad, Adam)}


def make_optimizer(name: str, params: Mapping[str, tf.Variable]) -> SGD:
    """The optimizer `name` ("sgd", "adagrad" or "adam") for `params` (name -> variable).

    Raises:
      ValueError: an unknown name.
    """
    if name not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return _OPTIMIZERS[name](params)
