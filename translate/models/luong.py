"""`--model=luong_attention_seq2seq`: the tutorial's model with Luong's "general" attention.

The original scores each encoder position with Bahdanau's additive attention
(`v . tanh(W h + U q)`); this variant scores it with `h . (W q)` (Luong et al. 2015, "general"),
`legacy_seq2seq`'s `attention_score="luong_general"`. Everything else (buckets, encoder,
decoder, sampled softmax, training, decoding, export) is the original model's: the variant
overrides one hook, `attention_score`, which every graph of `Seq2SeqModel` reads. Its
checkpoints hold `.../attention_decoder/LuongGeneral_0/kernel` where the original's hold
`AttnW_0`, `AttnV_0` and `Attention_0/{kernel,bias}`, so each model restores only its own
checkpoints (another's is refused with the names that differ).
"""

from __future__ import annotations

from translate.seq2seq_model import Seq2SeqModel


class LuongAttentionSeq2SeqModel(Seq2SeqModel):
    """`Seq2SeqModel` with Luong's general attention score (same constructor)."""

    model_name = "luong_attention_seq2seq"
    attention_score = "luong_general"
