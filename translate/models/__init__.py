"""The translation models, and the registry that the --model flag chooses from.

  MODELS                       name -> model class (`--model=<name>`)
  attention_seq2seq            the tutorial's model, `translate.seq2seq_model.Seq2SeqModel`
                               (the default: the original's behaviour and checkpoints)
  luong_attention_seq2seq      the same with Luong's general attention score (`luong.py`)

Modules: `interface` (`TranslationModel`: what a model provides to be trained, decoded and
exported), `luong` (the variant). Adding a model: a class implementing `TranslationModel`
(usually a `Seq2SeqModel` subclass overriding a hook, e.g. `attention_score`) in a module of
this package, and its entry in `MODELS`.
"""

from __future__ import annotations

from translate.hparams import HParams
from translate.models.interface import TranslationModel
from translate.models.luong import LuongAttentionSeq2SeqModel
from translate.seq2seq_model import Seq2SeqModel

MODELS: dict[str, type[TranslationModel]] = {
    cls.model_name: cls for cls in (Seq2SeqModel, LuongAttentionSeq2SeqModel)}
DEFAULT_MODEL = Seq2SeqModel.model_name


def model_class(name: str) -> type[TranslationModel]:
    """The class registered as `name`.

    Raises:
      ValueError: no model has that name (lists the names).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: --model must be one of "
                         f"{', '.join(MODELS)}")
    return MODELS[name]


def build_model(hparams: HParams, forward_only: bool) -> TranslationModel:
    """The model `hparams.model` names, built from `hparams` (variables created, fresh)."""
    return model_class(hparams.model).from_hparams(hparams, forward_only)
