"""`legacy_seq2seq.__all__` is TF 1.x's API plus the additions the README documents.

A name may join `__all__` only with a row in the README's additions table, so the
public surface and its documentation cannot drift apart. Old import paths of moved
modules keep working.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import legacy_seq2seq as seq2seq

README = Path(__file__).resolve().parents[2] / "README.md"

# `tf.contrib.legacy_seq2seq` of TF 1.15, exactly.
TF1_LEGACY_SEQ2SEQ = {
    "attention_decoder", "basic_rnn_seq2seq", "embedding_attention_decoder",
    "embedding_attention_seq2seq", "embedding_rnn_decoder", "embedding_rnn_seq2seq",
    "embedding_tied_rnn_seq2seq", "model_with_buckets", "one2many_rnn_seq2seq",
    "rnn_decoder", "sequence_loss", "sequence_loss_by_example", "tied_rnn_seq2seq",
}
# The README's "Public API" also names these two (TF 1.x's `static_rnn` and cells).
TF1_ALSO = {"static_rnn", "rnn_cell"}


def _readme_additions() -> set[str]:
    """The identifiers in backticks in the first column of the README's additions table."""
    text = README.read_text()
    table = text[text.index("Additions, all opt-in"):]
    table = table[:table.index("\n\n", table.index("|"))]
    names = set()
    for row in table.splitlines():
        if row.startswith("|") and not row.startswith("|---"):
            first_cell = row.split("|")[1]
            names.update(n for n in re.findall(r"`([^`]*)`", first_cell) if n.isidentifier())
    return names


def test_all_is_the_tf1_api_plus_the_documented_additions():
    additions = _readme_additions()
    assert {"embedding_attention_beam_search", "loop_rnn", "Template"} <= additions
    public = set(seq2seq.__all__)
    assert len(public) == len(seq2seq.__all__), "duplicates in __all__"
    assert TF1_LEGACY_SEQ2SEQ | TF1_ALSO <= public
    undocumented = public - TF1_LEGACY_SEQ2SEQ - TF1_ALSO - additions
    assert not undocumented, f"add a row to the README's additions table for {undocumented}"
    missing = additions - public
    assert not missing, f"documented additions missing from __all__: {missing}"
    for name in public:
        assert hasattr(seq2seq, name), name


def test_internals_stay_importable_but_not_public():
    for name in ("LegacyAttention", "AttentionDecoderStep", "embedding_attention_encoder",
                 "Linear", "linear", "_extract_argmax_and_embed", "checkpoint_names"):
        assert hasattr(seq2seq, name), name
        assert name not in seq2seq.__all__


def test_decoding_is_the_old_name_of_beam_search():
    decoding = importlib.import_module("legacy_seq2seq.decoding")
    beam_search = importlib.import_module("legacy_seq2seq.beam_search")
    assert decoding is beam_search
    from legacy_seq2seq.decoding import DecodeResult, embedding_attention_beam_search
    assert DecodeResult is seq2seq.DecodeResult
    assert embedding_attention_beam_search is seq2seq.embedding_attention_beam_search


def test_loop_rnn_lives_beside_static_rnn_and_keeps_its_old_path():
    from legacy_seq2seq import dynamic, rnn
    assert dynamic.loop_rnn is rnn.loop_rnn is seq2seq.loop_rnn
    assert {"static_rnn", "loop_rnn"} <= set(rnn.__all__)
