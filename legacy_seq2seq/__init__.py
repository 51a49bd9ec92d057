"""`tf.contrib.legacy_seq2seq` for TensorFlow 2, with TF 1.15's variable names and numbers.

    import legacy_seq2seq as seq2seq
    cell = seq2seq.rnn_cell.GRUCell(256)
    outputs, state = seq2seq.embedding_attention_seq2seq(enc, dec, cell, 10000, 10000, 256)

In a `tf.compat.v1` graph this works exactly as the original. In TF 2 eager code
or `tf.function`, wrap the model-building function in `seq2seq.Template(fn)`,
which owns the variables (see `template.py`).
"""

# Names imported here but left out of `__all__` (noqa) stay importable for existing callers.
from legacy_seq2seq import checkpoint_names, rnn_cell  # noqa: F401
from legacy_seq2seq._checks import TransposedProjection  # noqa: F401
from legacy_seq2seq.attention import (  # noqa: F401
    ATTENTION_SCORES,
    LegacyAttention,
    attention_pool,
)
from legacy_seq2seq.beam_search import (
    DecodeResult,
    embedding_attention_beam_search,
    embedding_attention_greedy_decode,
)
from legacy_seq2seq.bidirectional import stack_bidirectional_rnn, static_bidirectional_rnn
from legacy_seq2seq.buckets import model_with_buckets
from legacy_seq2seq.decoders import (  # noqa: F401
    AttentionDecoderStep,
    _extract_argmax_and_embed,
    attention_decoder,
    attention_decoder_with_weights,
    embedding_attention_decoder,
    embedding_attention_decoder_with_weights,
    embedding_rnn_decoder,
    rnn_decoder,
)
from legacy_seq2seq.dynamic import (
    loop_attention_decoder,
    loop_embedding_attention_decoder,
    loop_embedding_attention_seq2seq,
)
from legacy_seq2seq.linear import Linear, linear  # noqa: F401
from legacy_seq2seq.loss import (
    sampled_softmax_loss_per_step,
    sequence_loss,
    sequence_loss_by_example,
    stacked_sequence_loss,
)
from legacy_seq2seq.rnn import loop_rnn, static_rnn
from legacy_seq2seq.seq2seq import (  # noqa: F401
    basic_rnn_seq2seq,
    embedding_attention_encoder,
    embedding_attention_seq2seq,
    embedding_rnn_seq2seq,
    embedding_tied_rnn_seq2seq,
    one2many_rnn_seq2seq,
    tied_rnn_seq2seq,
)
from legacy_seq2seq.template import Template, TF1CheckpointMismatchError, get_variable

# The TF 1.x API (`tf.contrib.legacy_seq2seq`, `static_rnn`, the `rnn_cell` module) and the
# additions documented in the README's table; the other names above stay importable but
# are internals (tests/legacy_seq2seq/test_public_api.py checks this list).
__all__ = [
    "rnn_cell",
    "static_rnn",
    "rnn_decoder",
    "basic_rnn_seq2seq",
    "tied_rnn_seq2seq",
    "embedding_rnn_decoder",
    "embedding_rnn_seq2seq",
    "embedding_tied_rnn_seq2seq",
    "attention_decoder",
    "embedding_attention_decoder",
    "embedding_attention_seq2seq",
    "one2many_rnn_seq2seq",
    "sequence_loss_by_example",
    "sequence_loss",
    "model_with_buckets",
    "embedding_attention_beam_search",
    "embedding_attention_greedy_decode",
    "DecodeResult",
    "attention_decoder_with_weights",
    "embedding_attention_decoder_with_weights",
    "ATTENTION_SCORES",
    "attention_pool",
    "static_bidirectional_rnn",
    "stack_bidirectional_rnn",
    "loop_rnn",
    "loop_attention_decoder",
    "loop_embedding_attention_decoder",
    "loop_embedding_attention_seq2seq",
    "stacked_sequence_loss",
    "sampled_softmax_loss_per_step",
    "Template",
    "TF1CheckpointMismatchError",
    "get_variable",
]
