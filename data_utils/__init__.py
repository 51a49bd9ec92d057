"""The translate tutorial's data pipeline for TensorFlow 2, plus ready-made corpora.

`from data_utils import prepare_data`, `data_utils.PAD_ID` and the other names of the
tutorial's `data_utils.py` (tensorflow/models, tutorials/rnn/translate) work as they did there,
and the files written are byte-identical to the original's. Beyond the original:

- `data_utils.corpora`: tab-separated parallel corpora (Tatoeba / manythings style) split into
  the four files `prepare_data` takes.
- `data_utils.demo_corpus`: a small English-to-French translation task (numbers and dates)
  generated in code, no download needed.
- downloads resume, show progress and never leave a partial file under the final name.
"""

import importlib
from typing import Any

# Each public name and the module that defines it. Names load on first use (PEP 562), so that
# `from data_utils.tokenizer import ...` and the special symbols work without importing
# TensorFlow (an exported model's runtime needs only them); the file functions import it.
_HOMES = {
    "corpora": None,
    "demo_corpus": None,
    "gunzip_file": "archives",
    "DownloadError": "download",
    "maybe_download": "download",
    "prepare_data": "prepare",
    "data_to_token_ids": "token_ids",
    "sentence_to_token_ids": "tokenizer",
    "_DIGIT_RE": "tokenizer",
    "_WORD_SPLIT": "tokenizer",
    "basic_tokenizer": "tokenizer",
    "_EOS": "symbols",
    "_GO": "symbols",
    "_PAD": "symbols",
    "_START_VOCAB": "symbols",
    "_UNK": "symbols",
    "EOS_ID": "symbols",
    "GO_ID": "symbols",
    "PAD_ID": "symbols",
    "UNK_ID": "symbols",
    "create_vocabulary": "vocabulary",
    "initialize_vocabulary": "vocabulary",
    "_WMT_ENFR_DEV_URL": "wmt",
    "_WMT_ENFR_TRAIN_URL": "wmt",
    "get_wmt_enfr_dev_set": "wmt",
    "get_wmt_enfr_train_set": "wmt",
    "prepare_wmt_data": "wmt",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'data_utils' has no attribute {name!r}")
    home = _HOMES[name]
    module = importlib.import_module(f"data_utils.{home or name}")
    value = module if home is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


# The underscore names belong to the original module's interface too.
__all__ = list(_HOMES)
