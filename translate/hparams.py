"""Hyper-parameters of the translation model, kept apart from the command-line flags."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

# The original's buckets: (largest source length, largest target length incl. GO/EOS).
BUCKETS: tuple[tuple[int, int], ...] = ((5, 10), (10, 15), (20, 25), (40, 50))
# --xla_decode: None lets the model choose by its size (see `Seq2SeqModel`).
XLA_DECODE_CHOICES = {"auto": None, "on": True, "off": False}
OPTIMIZERS = ("sgd", "adagrad", "adam")
MIXED_PRECISION_CHOICES = ("float32", "bfloat16", "float16")
SCHEDULES = ("original", "constant", "rsqrt", "linear")
VOCABULARIES = ("word", "subword")


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
      mixed_precision: "float32" (the original), "bfloat16" or "float16": training computes in
        that dtype with float32 variables, float16 with a dynamic loss scale (see
        `Seq2SeqModel`); not with use_fp16.
      xla_decode: "auto" (XLA for small models, see `Seq2SeqModel`), "on" or "off": compile
        greedy decoding with XLA (the same outputs).
      model: the model's name in `translate.models.MODELS` (the --model flag); the default
        is the original model.
      optimizer: "sgd" (the original), "adagrad" or "adam" (`translate.train.optimizers`).
      learning_rate_schedule: "original" (the training loop multiplies the rate by
        learning_rate_decay_factor when the loss stops falling), "constant", "rsqrt" (linear
        warm-up, then learning_rate * sqrt(warmup_steps / step)) or "linear" (linear warm-up,
        then linear decay to 0 at the end of the step or time budget); see
        `translate.train.schedules`.
      warmup_steps: steps of linear warm-up of the non-original schedules.
      dropout: probability of dropping each input and output of every RNN layer in training
        (0: none, as the original); decoding never drops.
      label_smoothing: weight of the uniform distribution mixed into the training targets
        (0: none); needs the full softmax (num_samples 0).
      bidirectional_encoder: read the source in both directions; attention reads both
        directions' outputs (`legacy_seq2seq`'s `bidirectional_encoder`).
      output_projection: with the full softmax (num_samples 0) too, map the decoder's `size`
        outputs to the vocabulary with `proj_w`/`proj_b`, as sampled softmax does, instead of
        the original's vocabulary-sized cell output (see `Seq2SeqModel`); far faster with a
        large vocabulary.
      share_decoder_embeddings: the output projection `proj_w` is the decoder's input
        embedding (Press & Wolf 2017): one `[to_vocab_size, size]` matrix instead of two;
        needs an output projection (sampled softmax or `output_projection`).
      beam_size: how `--decode`, `--eval` and `--export_dir` decode this model when the
        command line does not say: None, the original's greedy decode, or a beam size (the
        --beam_size flag; kept in the model's settings.json).
      vocabulary: "word" (the original's `basic_tokenizer` vocabularies) or "subword"
        (SentencePiece, `data_utils.subwords`); the vocabulary sizes are the flags'.
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
    optimizer: str = "sgd"
    learning_rate_schedule: str = "original"
    warmup_steps: int = 0
    dropout: float = 0.0
    label_smoothing: float = 0.0
    bidirectional_encoder: bool = False
    output_projection: bool = False
    share_decoder_embeddings: bool = False
    beam_size: int | None = None
    vocabulary: str = "word"

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
        if self.mixed_precision not in MIXED_PRECISION_CHOICES:
            raise ValueError(f"mixed_precision must be float32, bfloat16 or float16, got "
                             f"{self.mixed_precision!r}")
        if self.xla_decode not in XLA_DECODE_CHOICES:
            raise ValueError(f"xla_decode must be one of {', '.join(XLA_DECODE_CHOICES)}, got "
                             f"{self.xla_decode!r}")
        if self.use_fp16 and self.mixed_precision != "float32":
            raise ValueError("use_fp16 (float16 variables) and mixed_precision="
                             f"{self.mixed_precision} exclude each other")
        for name, choices in (("optimizer", OPTIMIZERS), ("learning_rate_schedule", SCHEDULES),
                              ("vocabulary", VOCABULARIES)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got "
                                 f"{getattr(self, name)!r}")
        for name in ("dropout", "label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be at least 0 and below 1, got "
                                 f"{getattr(self, name)}")
        if self.beam_size is not None and self.beam_size < 1:
            raise ValueError(f"beam_size must be at least 1, got {self.beam_size}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be 0 or more, got {self.warmup_steps}")
        if self.label_smoothing and 0 < self.num_samples < self.to_vocab_size:
            raise ValueError(
                f"label_smoothing needs the full softmax, but num_samples={self.num_samples} "
                f"< to_vocab_size={self.to_vocab_size} selects sampled softmax: pass "
                "--num_samples=0")
        if self.share_decoder_embeddings and not (
                self.output_projection or 0 < self.num_samples < self.to_vocab_size):
            raise ValueError(
                "share_decoder_embeddings shares the decoder's embedding with the output "
                "projection, which this model does not have: pass --output_projection (or "
                "use sampled softmax)")
        if not self.buckets:
            raise ValueError("at least one bucket is needed")
        for previous, bucket in zip(self.buckets, self.buckets[1:]):
            if bucket[0] < previous[0] or bucket[1] < previous[1]:
                raise ValueError(f"buckets must be sorted by size, got {list(self.buckets)}")
