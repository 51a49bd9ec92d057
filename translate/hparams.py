"""Hyper-parameters of the translation model, kept apart from the command-line flags."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

# The original's buckets: (largest source length, largest target length incl. GO/EOS).
BUCKETS: tuple[tuple[int, int], ...] = ((5, 10), (10, 15), (20, 25), (40, 50))
# --xla_decode: None lets the model choose by its size (see `Seq2SeqModel`).
XLA_DECODE_CHOICES = {"auto": None, "on": True, "off": False}


@dataclasses.dataclass(frozen=True)
class HParams:
    """Everything that shapes the model and its optimizer; defaults are the original's flags.

    Attributes:
      learning_rate: initial SGD learning rate.
      learning_rate_decay_factor: the learning rate is multiplied by this on decay.
      max_gradient_norm: gradients are clipped to this global norm.
      batch_size: sentences per training batch.
      size: units per layer, also the embedding size.
      num_layers: RNN layers in encoder and decoder.
      from_vocab_size: source vocabulary size.
      to_vocab_size: target vocabulary size.
      use_lstm: BasicLSTMCell instead of GRUCell.
      num_samples: sampled-softmax samples; sampled softmax (and the `proj_w`/`proj_b` output
        projection) is used only when 0 < num_samples < to_vocab_size.
      use_fp16: float16 variables instead of float32.
      buckets: (encoder length, decoder length) pairs, increasing.
      mixed_precision: "float32" (the original), or "bfloat16": training computes in bfloat16
        with float32 variables (see `Seq2SeqModel`); not with use_fp16.
      xla_decode: "auto" (XLA for small models, see `Seq2SeqModel`), "on" or "off": compile
        greedy decoding with XLA (the same outputs).
      model: the model's name in `translate.models.MODELS` (the --model flag); the default
        is the original model.
    """

    learning_rate: float = 0.5
    learning_rate_decay_factor: float = 0.99
    max_gradient_norm: float = 5.0
    batch_size: int = 64
    size: int = 1024
    num_layers: int = 3
    from_vocab_size: int = 40000
    to_vocab_size: int = 40000
    use_lstm: bool = False
    num_samples: int = 512
    use_fp16: bool = False
    buckets: tuple[tuple[int, int], ...] = BUCKETS
    mixed_precision: str = "float32"
    xla_decode: str = "auto"
    model: str = "attention_seq2seq"

    @property
    def dtype(self) -> tf.DType:
        """The variables' dtype: tf.float16 with use_fp16, else tf.float32."""
        return tf.float16 if self.use_fp16 else tf.float32

    def validate(self) -> None:
        """Checks the values a model can be built from.

        Raises:
          ValueError: naming the first bad value.
        """
        positive = ("batch_size", "size", "num_layers", "from_vocab_size", "to_vocab_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("from_vocab_size", "to_vocab_size"):
            # Token ids 0-3 are _PAD, _GO, _EOS and _UNK.
            if getattr(self, name) < 4:
                raise ValueError(f"{name} must be at least 4 (the special symbols), "
                                 f"got {getattr(self, name)}")
        if self.mixed_precision not in ("float32", "bfloat16"):
            raise ValueError(f"mixed_precision must be float32 or bfloat16, got "
                             f"{self.mixed_precision!r}")
        if self.xla_decode not in XLA_DECODE_CHOICES:
            raise ValueError(f"xla_decode must be one of {', '.join(XLA_DECODE_CHOICES)}, got "
                             f"{self.xla_decode!r}")
        if self.use_fp16 and self.mixed_precision != "float32":
            raise ValueError("use_fp16 (float16 variables) and mixed_precision="
                             f"{self.mixed_precision} exclude each other")
        if not self.buckets:
            raise ValueError("at least one bucket is needed")
        for previous, bucket in zip(self.buckets, self.buckets[1:]):
            if bucket[0] < previous[0] or bucket[1] < previous[1]:
                raise ValueError(f"buckets must be sorted by size, got {list(self.buckets)}")
